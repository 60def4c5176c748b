using System.CommandLine;
using Detector.Modules.Evaluation;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Inference;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models;
using Detector.Modules.Preprocessing;

namespace Detector.Web;

/// <summary>
/// `Detector.Web calibrate --model M --annotations F --images DIR [--check-annotations F
/// --check-images DIR] [--register]`: fits the version's score calibration through the service's
/// own pipeline (the Evaluation module) and with --register keeps it with the version in the
/// registry. A seed model needs no database unless registering; a name@version is read from the
/// registry. Exit codes: 0 done (or --help), 1 cannot register, 2 bad arguments or unknown model.
/// </summary>
internal static class CalibrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var model = new Option<string>("--model") { Required = true, HelpName = "M", Description = "name (its production version), name@version or name@alias." };
        var annotations = new Option<string>("--annotations") { Required = true, HelpName = "F", Description = "COCO instances json to fit on (e.g. instances_train2017.json; never the evaluation set)." };
        var images = new Option<string>("--images") { Required = true, HelpName = "DIR", Description = "The fit set's images." };
        var checkAnnotations = new Option<string?>("--check-annotations") { HelpName = "F", Description = "A second dataset to measure the calibration on (e.g. instances_val2017.json)." };
        var checkImages = new Option<string?>("--check-images") { HelpName = "DIR", Description = "The check set's images." };
        var register = new Option<bool>("--register") { Description = "Keep the calibration with the version in the registry (Database__ConnectionString)." };
        foreach (var file in new Option<string?>[] { annotations!, checkAnnotations })
        {
            file.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } f && !File.Exists(f)) { r.AddError($"file not found: {f}"); } });
        }

        foreach (var folder in new Option<string?>[] { images!, checkImages })
        {
            folder.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } d && !Directory.Exists(d)) { r.AddError($"folder not found: {d}"); } });
        }

        var calibrate = new Command("calibrate", "Fits a model version's score calibration (temperature scaling, per class where the data allows) on a labelled dataset and optionally keeps it with the version.")
        {
            model, annotations, images, checkAnnotations, checkImages, register,
        };
        calibrate.SetAction((parse, ct) => CalibrateAsync(
            new CalibrationSettings
            {
                Model = parse.GetRequiredValue(model),
                AnnotationsPath = parse.GetRequiredValue(annotations),
                ImagesDirectory = parse.GetRequiredValue(images),
                CheckAnnotationsPath = parse.GetValue(checkAnnotations),
                CheckImagesDirectory = parse.GetValue(checkImages),
                Register = parse.GetValue(register),
            },
            ct));
        return await CommandHost.InvokeAsync(new RootCommand("Detector's own commands.") { calibrate }.Parse(args), "calibrate: ");
    }

    private static async Task<int> CalibrateAsync(CalibrationSettings settings, CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        var name = settings.Model.Split('@')[0];
        if (settings.Register || settings.Model.Contains('@', StringComparison.Ordinal))
        {
            builder.Configuration["Models:Enabled:0"] = name;
            builder.Configuration["Models:Default"] = name;
            builder.AddRegistryDatabase();
        }
        else
        {
            builder.Configuration["Models:Registry"] = "false"; // no database: the seed manifests alone
        }

        builder.AddModels();
        builder.AddPreprocessing();
        builder.AddInference();
        builder.AddDatasetEvaluation();
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            await host.Services.GetRequiredService<IInferenceReadiness>().WhenReady.WaitAsync(ct);
            return await EvaluationModule.RunCalibrationAsync(host.Services, settings, Console.Out, ct);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
