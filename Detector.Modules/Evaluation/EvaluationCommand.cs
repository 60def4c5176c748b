using System.Globalization;
using System.Text;
using Detector.Modules.Evaluation.Contracts;

namespace Detector.Modules.Evaluation;

/// <summary>The `eval` command line: parsing, and the report a person reads.</summary>
internal static class EvaluationCommand
{
    public const string Usage = """
        usage: eval --model M --annotations F --images DIR [options]

          --model M              model name as served (e.g. yolox_nano_416)
          --annotations F        COCO instances json (e.g. instances_val2017.json)
          --images DIR           folder with the annotated images (missing ones are skipped)
          --out FILE             COCO results json to write (default: results-<model>.json)
          --min-score S          score threshold, default 0.01
          --iou T                NMS IoU threshold, default 0.65
          --max-detections N     boxes kept per image, default 100
          --scale F              upscale images and ground truth by F first, default 1
          --concurrency N        images in flight at once, default 8
        """;

    /// <summary>Returns the settings, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static EvaluationSettings? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        if (args.Count == 0 || args[0] != "eval")
        {
            error = "expected the 'eval' command";
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                error = $"unexpected argument '{arg}'";
                return null;
            }

            string name, value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                name = arg[2..equals];
                value = arg[(equals + 1)..];
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count)
                {
                    error = $"--{name} needs a value";
                    return null;
                }

                value = args[++i];
            }

            if (!Known.Contains(name))
            {
                error = $"unknown option --{name}";
                return null;
            }

            values[name] = value;
        }

        foreach (var required in new[] { "model", "annotations", "images" })
        {
            if (!values.TryGetValue(required, out var v) || string.IsNullOrWhiteSpace(v))
            {
                error = $"--{required} is required";
                return null;
            }
        }

        var model = values["model"];
        var settings = new EvaluationSettings
        {
            Model = model,
            AnnotationsPath = values["annotations"],
            ImagesDirectory = values["images"],
            ResultsPath = values.TryGetValue("out", out var output) ? output : DefaultResultsPath(model),
        };

        if (!TryNumber(values, "min-score", settings.MinScore, v => v is >= 0 and <= 1, "a number in [0, 1]", out var minScore, ref error)
            || !TryNumber(values, "iou", settings.Iou, v => v is > 0 and <= 1, "a number in (0, 1]", out var iou, ref error)
            || !TryNumber(values, "max-detections", settings.MaxDetections, v => v >= 1 && v == Math.Floor(v) && v <= 100_000, "a positive integer", out var maxDetections, ref error)
            || !TryNumber(values, "scale", settings.Scale, v => v > 0 && v <= 16, "a number in (0, 16]", out var scale, ref error)
            || !TryNumber(values, "concurrency", settings.Concurrency, v => v >= 1 && v == Math.Floor(v) && v <= 256, "an integer in [1, 256]", out var concurrency, ref error))
        {
            return null;
        }

        if (!File.Exists(settings.AnnotationsPath))
        {
            error = $"annotations file not found: {settings.AnnotationsPath}";
            return null;
        }

        if (!Directory.Exists(settings.ImagesDirectory))
        {
            error = $"images folder not found: {settings.ImagesDirectory}";
            return null;
        }

        return settings with
        {
            MinScore = (float)minScore,
            Iou = (float)iou,
            MaxDetections = (int)maxDetections,
            Scale = scale,
            Concurrency = (int)concurrency,
        };
    }

    public static string Format(EvaluationReport report)
    {
        var s = report.Stats;
        var text = new StringBuilder();
        Line(text, $"Model {report.Model} ({report.ModelVersion}), scale {report.Scale:0.###}");
        Line(text, $"Images evaluated {report.ImageCount}, detections {report.DetectionCount}, elapsed {report.Elapsed.TotalSeconds:0.00} s");
        if (report.ResultsPath is { } path)
        {
            Line(text, $"Results written to {path}");
        }

        Line(text, string.Empty);
        Line(text, $"mAP@[.5:.95] {s.MapAll:0.0000}   mAP@.5 {s.Map50:0.0000}   mAP@.75 {s.Map75:0.0000}   AR@100 {s.Ar100:0.0000}");
        Line(text, string.Empty);

        // pycocotools' summary layout, so the output can be diffed against a Python run.
        Stat(text, "Average Precision", "(AP)", "0.50:0.95", "all", 100, s.MapAll);
        Stat(text, "Average Precision", "(AP)", "0.50", "all", 100, s.Map50);
        Stat(text, "Average Precision", "(AP)", "0.75", "all", 100, s.Map75);
        Stat(text, "Average Precision", "(AP)", "0.50:0.95", "small", 100, s.MapSmall);
        Stat(text, "Average Precision", "(AP)", "0.50:0.95", "medium", 100, s.MapMedium);
        Stat(text, "Average Precision", "(AP)", "0.50:0.95", "large", 100, s.MapLarge);
        Stat(text, "Average Recall", "(AR)", "0.50:0.95", "all", 1, s.Ar1);
        Stat(text, "Average Recall", "(AR)", "0.50:0.95", "all", 10, s.Ar10);
        Stat(text, "Average Recall", "(AR)", "0.50:0.95", "all", 100, s.Ar100);
        Stat(text, "Average Recall", "(AR)", "0.50:0.95", "small", 100, s.ArSmall);
        Stat(text, "Average Recall", "(AR)", "0.50:0.95", "medium", 100, s.ArMedium);
        Stat(text, "Average Recall", "(AR)", "0.50:0.95", "large", 100, s.ArLarge);

        if (report.PerClassAp.Count > 0)
        {
            Line(text, string.Empty);
            Line(text, "Per-class AP@[.5:.95]:");
            var width = report.PerClassAp.Keys.Max(k => k.Length);
            foreach (var (label, ap) in report.PerClassAp)
            {
                Line(text, $"  {label.PadRight(width)}  {ap:0.000}");
            }
        }

        return text.ToString();
    }

    private static readonly HashSet<string> Known =
        ["model", "annotations", "images", "out", "min-score", "iou", "max-detections", "scale", "concurrency"];

    private static string DefaultResultsPath(string model)
    {
        var safe = string.Concat(model.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return $"results-{safe}.json";
    }

    private static bool TryNumber(
        Dictionary<string, string> values, string name, double fallback, Func<double, bool> valid, string expected, out double result, ref string? error)
    {
        result = fallback;
        if (!values.TryGetValue(name, out var text))
        {
            return true;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out result) || !double.IsFinite(result) || !valid(result))
        {
            error = $"--{name} must be {expected}, got '{text}'";
            return false;
        }

        return true;
    }

    private static void Stat(StringBuilder text, string title, string kind, string iou, string area, int maxDets, double value) =>
        Line(text, $" {title,-18} {kind} @[ IoU={iou,-9} | area={area,6} | maxDets={maxDets,3} ] = {value:0.000}");

    private static void Line(StringBuilder text, FormattableString line) =>
        text.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
