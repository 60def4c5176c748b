using System.Globalization;
using System.Text;
using Detector.Modules.Common;
using Detector.Modules.Evaluation.Contracts;

namespace Detector.Modules.Evaluation;

/// <summary>
/// The `eval` command's use case once the host has parsed its line: run the evaluation and print
/// the report a person reads (pycocotools' summary layout). Exit codes: 0 done, 2 unknown model.
/// </summary>
internal static class EvaluationCommand
{
    public const int Done = 0;
    public const int UnknownModel = 2;

    public static async Task<int> RunAsync(IServiceProvider services, EvaluationSettings settings, TextWriter output, CancellationToken ct)
    {
        // A scope, in case the pipeline's services are scoped.
        await using var scope = services.CreateAsyncScope();
        var evaluator = scope.ServiceProvider.GetRequiredService<IDatasetEvaluator>();
        EvaluationReport report;
        try
        {
            report = await evaluator.EvaluateAsync(settings, ct);
        }
        catch (DomainException problem) when (problem.Code == ErrorCodes.UnknownModel)
        {
            await output.WriteLineAsync($"eval: {problem.Message}");
            return UnknownModel;
        }

        await output.WriteAsync(Format(report));
        return Done;
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

        if (report.Extras is { } extras)
        {
            Line(text, string.Empty);
            Line(text, $"Calibration: ECE {extras.ExpectedCalibrationError:0.0000} (detections at or above 0.05){(extras.CalibratedExpectedCalibrationError is { } after ? FormattableString.Invariant($", calibrated {after:0.0000}") : "")}");
            Line(text, $"Latency per image: p50 {extras.LatencyP50Ms:0.0} ms, p95 {extras.LatencyP95Ms:0.0} ms; {extras.CoreMsPerImage:0.0} core-ms per image");
            if (extras.TopConfusions.Count > 0)
            {
                Line(text, $"Most frequent confusions (IoU 0.5, score >= 0.25): {string.Join("; ", extras.TopConfusions)}");
            }
        }

        return text.ToString();
    }

    private static void Stat(StringBuilder text, string title, string kind, string iou, string area, int maxDets, double value) =>
        Line(text, $" {title,-18} {kind} @[ IoU={iou,-9} | area={area,6} | maxDets={maxDets,3} ] = {value:0.000}");

    private static void Line(StringBuilder text, FormattableString line) =>
        text.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
