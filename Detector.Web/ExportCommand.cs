using System.CommandLine;
using Detector.Modules.Common.Database;
using Detector.Modules.Models;
using Detector.Modules.Preprocessing;
using Detector.Modules.Variants;
using Detector.Modules.Variants.Contracts;

namespace Detector.Web;

/// <summary>
/// `Detector.Web export --model M --precision int8|fp16 --calibration DIR [options]`: writes a
/// compressed variant of a registered float version with the service's own code (the Variants
/// module), measures it against its source, and with <c>--register</c> registers it as a version
/// of the same model in the registry's database. Exit codes: 0 done (or --help), 1 the model or a
/// setting cannot be exported, 2 bad arguments.
/// </summary>
internal static class ExportCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var model = new Option<string>("--model") { Required = true, HelpName = "M", Description = "The fp32 version to compress: name (its production version), name@version or name@alias." };
        var precision = new Option<string>("--precision") { Required = true, HelpName = "P", Description = "int8 (static QDQ, calibrated) or fp16." };
        precision.AcceptOnlyFromAmong("int8", "fp16");
        var calibration = new Option<string>("--calibration") { Required = true, HelpName = "DIR", Description = "Calibration images (JPEG/PNG), e.g. coco-ccby/train2017; never the evaluation images. Also the images the variant is measured on." };
        calibration.Validators.Add(r => { if (r.GetValueOrDefault<string>() is { } d && !Directory.Exists(d)) { r.AddError($"calibration folder not found: {d}"); } });
        var output = new Option<string?>("--out") { HelpName = "FILE", Description = "The ONNX file to write (default: <model>_<precision>.onnx)." };
        var percentile = new Option<double>("--percentile") { DefaultValueFactory = _ => 99.999, HelpName = "P", Description = "Share of each activation's values kept on either side, in (99, 100]; 100 is plain min/max." };
        percentile.Validators.Add(r => { if (r.GetValueOrDefault<double>() is <= 99 or > 100) { r.AddError("--percentile must be in (99, 100]"); } });
        var mirror = new Option<bool>("--no-mirror") { Description = "Calibrate on the images only, without their mirror images." };
        var floatHead = new Option<int>("--float-head") { DefaultValueFactory = _ => 0, HelpName = "N", Description = "Convolutions from the input kept float." };
        var floatTail = new Option<int>("--float-tail") { DefaultValueFactory = _ => 1, HelpName = "N", Description = "Convolutions before the outputs kept float (1: the head's last ones)." };
        foreach (var depth in new[] { floatHead, floatTail })
        {
            depth.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 64) { r.AddError($"{r.Option.Name} must be in [0, 64]"); } });
        }

        var floatNodes = new Option<string[]>("--float-node") { HelpName = "NAME", Description = "A node kept float by name (repeatable).", AllowMultipleArgumentsPerToken = false };
        var register = new Option<bool>("--register") { Description = "Register the file as a version of the model (the registry's database: Database__ConnectionString)." };
        var version = new Option<string?>("--version-label") { HelpName = "V", Description = "The registered version's label (default: the first 12 hex digits of its sha256)." };

        var export = new Command("export", "Writes an INT8 or FP16 variant of a registered float model version, measures it against the float one and optionally registers it.")
        {
            model, precision, calibration, output, percentile, mirror, floatHead, floatTail, floatNodes, register, version,
        };
        export.SetAction((parse, ct) =>
        {
            var name = parse.GetRequiredValue(model);
            var p = parse.GetRequiredValue(precision);
            var settings = new ExportSettings
            {
                Model = name,
                Precision = p,
                CalibrationDirectory = parse.GetRequiredValue(calibration),
                OutputPath = parse.GetValue(output) ?? $"{name.Replace('@', '_')}_{p}.onnx",
                Percentile = parse.GetValue(percentile),
                Mirror = !parse.GetValue(mirror),
                FloatHead = parse.GetValue(floatHead),
                FloatTail = parse.GetValue(floatTail),
                FloatNodes = parse.GetValue(floatNodes) ?? [],
                Register = parse.GetValue(register),
                Version = parse.GetValue(version),
            };
            return ExportAsync(settings, ct);
        });
        var root = new RootCommand("Detector's own commands.") { export };
        return await CommandHost.InvokeAsync(root.Parse(args), "export: ");
    }

    private static async Task<int> ExportAsync(ExportSettings settings, CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        if (settings.Register)
        {
            builder.AddRegistryDatabase(); // the registration is audited like one over the admin API
        }
        else
        {
            builder.Configuration["Models:Registry"] = "false"; // no database: the seed manifests alone
        }

        builder.AddModels();
        builder.AddPreprocessing();
        builder.AddVariants();
        using var host = builder.Build();
        if (settings.Register)
        {
            await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
        }

        await host.StartAsync(ct);
        try
        {
            return await VariantsModule.RunExportAsync(host.Services, settings, Console.Out, ct);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
