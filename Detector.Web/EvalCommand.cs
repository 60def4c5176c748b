using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using Detector.Modules.Evaluation;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Inference;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models;
using Detector.Modules.Preprocessing;

namespace Detector.Web;

/// <summary>
/// `Detector.Web eval --model M --annotations F --images DIR [options]`: runs a COCO dataset
/// through the very pipeline the API uses (same modules, same options), without the web server or
/// the database. The line is parsed here, before any model loads; the Evaluation module runs the
/// use case. Exit codes: 0 done (or --help), 2 bad arguments or an unknown model.
/// </summary>
internal static class EvalCommand
{
    public const int BadArguments = 2;

    /// <summary>The first line of the usage, as it has always been printed (scripts look for it).</summary>
    public const string Synopsis = "usage: eval --model M --annotations F --images DIR [options]";

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, EvaluateOnThePipelineAsync, CancellationToken.None);

    /// <summary>The command line against services already built (the tests' pipeline).</summary>
    public static Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, CancellationToken ct) =>
        RunAsync(args, output, (settings, token) => EvaluationModule.RunEvaluationAsync(services, settings, output, token), ct);

    private static async Task<int> RunAsync(string[] args, TextWriter output, Func<EvaluationSettings, CancellationToken, Task<int>> evaluate, CancellationToken ct)
    {
        var line = new EvalOptions();
        var eval = new Command("eval", "Scores a served model on a COCO-annotated image folder through the service's own pipeline and prints pycocotools' summary.");
        line.AddTo(eval);
        eval.SetAction((parse, token) => evaluate(line.Settings(parse), token));
        var root = new RootCommand("Detector's own commands.") { eval };

        // Ctrl+C is the evaluation's own cancellation (see EvaluateOnThePipelineAsync), not the parser's.
        var invocation = new InvocationConfiguration { Output = output, Error = output, ProcessTerminationTimeout = null };
        // --help or -h anywhere after `eval` asks for the help, as it always has (even where an
        // option expects its value: `eval --model --help`).
        var parsed = root.Parse(args is ["eval", .. var rest] && rest.Any(a => a is "--help" or "-h") ? ["eval", "--help"] : args);
        if (parsed.Action is HelpAction)
        {
            await output.WriteLineAsync(Synopsis);
            return await parsed.InvokeAsync(invocation, ct);
        }

        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await output.WriteLineAsync($"eval: {error.Message}");
            }

            await output.WriteLineAsync(Synopsis);
            await root.Parse(["eval", "--help"]).InvokeAsync(invocation, ct);
            return BadArguments;
        }

        return await parsed.InvokeAsync(invocation, ct);
    }

    /// <summary>
    /// Builds the modules the API uses (no web server), waits for the model, and evaluates. A seed
    /// model needs no database; a registered version (<c>name@version</c> or <c>name@alias</c>)
    /// is read from the registry (Database:ConnectionString), and only that model's versions load.
    /// </summary>
    private static async Task<int> EvaluateOnThePipelineAsync(EvaluationSettings settings, CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        if (settings.Model?.Split('@') is [var name, _])
        {
            builder.Configuration["Models:Enabled:0"] = name;
            builder.Configuration["Models:Default"] = name;
            builder.AddRegistryDatabase();
        }
        else
        {
            builder.Configuration["Models:Registry"] = "false"; // no database here: the seed manifests alone
        }

        builder.AddModels();
        builder.AddPreprocessing();
        builder.AddInference();
        builder.AddDatasetEvaluation();

        using var host = builder.Build();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        await host.StartAsync(cts.Token);
        try
        {
            await host.Services.GetRequiredService<IInferenceReadiness>().WhenReady.WaitAsync(cts.Token);
            return await EvaluationModule.RunEvaluationAsync(host.Services, settings, Console.Out, cts.Token);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The options of `eval`, with the names, defaults and ranges it has always had.</summary>
    private sealed class EvalOptions
    {
        private static readonly EvaluationSettings Defaults = new() { AnnotationsPath = string.Empty, ImagesDirectory = string.Empty };

        private readonly Option<string> _model = Text("--model", "M", "Model name as served (e.g. yolox_nano_416).");
        private readonly Option<string> _annotations = Text("--annotations", "F", "COCO instances json (e.g. instances_val2017.json).");
        private readonly Option<string> _images = Text("--images", "DIR", "Folder with the annotated images (missing ones are skipped).");
        private readonly Option<string?> _out = new("--out") { Description = "COCO results json to write (default: results-<model>.json).", HelpName = "FILE" };
        private readonly Option<double> _minScore = Number("--min-score", "S", Defaults.MinScore, v => v is >= 0 and <= 1, "a number in [0, 1]", "Score threshold.");
        private readonly Option<double> _iou = Number("--iou", "T", Defaults.Iou, v => v is > 0 and <= 1, "a number in (0, 1]", "NMS IoU threshold.");
        private readonly Option<double> _maxDetections = Number("--max-detections", "N", Defaults.MaxDetections, v => v >= 1 && v == Math.Floor(v) && v <= 100_000, "a positive integer", "Boxes kept per image.");
        private readonly Option<double> _scale = Number("--scale", "F", Defaults.Scale, v => v > 0 && v <= 16, "a number in (0, 16]", "Upscale images and ground truth by F first.");
        private readonly Option<double> _concurrency = Number("--concurrency", "N", Defaults.Concurrency, v => v >= 1 && v == Math.Floor(v) && v <= 256, "an integer in [1, 256]", "Images in flight at once.");

        public EvalOptions()
        {
            _annotations.Validators.Add(r => Exists(r, File.Exists, "annotations file not found"));
            _images.Validators.Add(r => Exists(r, Directory.Exists, "images folder not found"));
        }

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _model, _annotations, _images, _out, _minScore, _iou, _maxDetections, _scale, _concurrency })
            {
                command.Options.Add(option);
            }
        }

        public EvaluationSettings Settings(ParseResult parse)
        {
            var model = parse.GetRequiredValue(_model);
            return new EvaluationSettings
            {
                Model = model,
                AnnotationsPath = parse.GetRequiredValue(_annotations),
                ImagesDirectory = parse.GetRequiredValue(_images),
                ResultsPath = parse.GetValue(_out) ?? DefaultResultsPath(model),
                MinScore = (float)parse.GetValue(_minScore),
                Iou = (float)parse.GetValue(_iou),
                MaxDetections = (int)parse.GetValue(_maxDetections),
                Scale = parse.GetValue(_scale),
                Concurrency = (int)parse.GetValue(_concurrency),
            };
        }

        private static string DefaultResultsPath(string model)
        {
            var safe = string.Concat(model.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
            return $"results-{safe}.json";
        }

        /// <summary>A required option whose value may not be blank.</summary>
        private static Option<string> Text(string name, string helpName, string description)
        {
            var option = new Option<string>(name) { Description = description, Required = true, HelpName = helpName };
            option.Validators.Add(r =>
            {
                if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()))
                {
                    r.AddError($"{name} is required");
                }
            });
            return option;
        }

        /// <summary>A number read in the invariant culture (whatever the machine's), within its range; the settings' default when absent.</summary>
        /// <param name="fallback">Rounded to six places, so the help shows 0.01 for the float 0.01 (which it converts back to exactly).</param>
        private static Option<double> Number(string name, string helpName, double fallback, Func<double, bool> valid, string expected, string description) => new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => Math.Round(fallback, 6),
            CustomParser = result =>
            {
                var text = result.Tokens[^1].Value;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || !valid(value))
                {
                    result.AddError($"{name} must be {expected}, got '{text}'");
                    return Math.Round(fallback, 6);
                }

                return value;
            },
        };

        private static void Exists(OptionResult result, Func<string, bool> exists, string what)
        {
            if (result.GetValueOrDefault<string>() is { } path && !string.IsNullOrWhiteSpace(path) && !exists(path))
            {
                result.AddError($"{what}: {path}");
            }
        }
    }
}
