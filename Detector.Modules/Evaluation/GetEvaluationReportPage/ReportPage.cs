using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Detector.Modules.Evaluation.Reports;

namespace Detector.Modules.Evaluation.GetEvaluationReportPage;

/// <summary>
/// The report as one self-contained HTML page: what was scored, the COCO numbers, latency and
/// calibration, the plots of <see cref="ReportPlots"/> inlined as PNG data URIs, and the per-class
/// and per-bin tables. It fetches nothing (its Content-Security-Policy allows only inline styles
/// and data: images) and every string from the report is HTML-encoded.
/// </summary>
internal static class ReportPage
{
    private const string Style = """
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 1240px; padding: 16px 20px 40px; }
        h1 { font-size: 1.6rem; margin: 0 0 12px; } h2 { font-size: 1.25rem; margin: 28px 0 10px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
        dl.subject { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; } dl.subject dt { font-weight: bold; } dl.subject dd { margin: 0; overflow-wrap: anywhere; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; align-items: start; }
        table { border-collapse: collapse; margin: 0 0 12px; } caption { text-align: left; font-weight: bold; padding: 4px 0; }
        th, td { border: 1px solid #c8c8c8; padding: 3px 10px; text-align: right; } th[scope="row"], thead th:first-child { text-align: left; } thead th { background: #f0f0f0; }
        figure { margin: 0 0 8px; } figure img { max-width: 100%; height: auto; display: block; } figcaption { font-size: 0.9rem; color: #444; margin-top: 4px; }
        code { font-size: 0.9em; }
        """;

    public static string Render(Guid id, DateTimeOffset? evaluatedAt, EvaluationJobReport report)
    {
        var plots = ReportPlots.Draw(report).ToDictionary(p => p.Id);
        var html = new StringBuilder(1 << 20);
        var title = $"Evaluation of {report.Model} (version {report.Version}) on {report.Annotations}";
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n")
            .Append("<title>").Append(E(title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>Evaluation report: ").Append(E(report.Model)).Append("</h1>\n");

        html.Append("<dl class=\"subject\">\n");
        Term(html, "Model", report.Model);
        Term(html, "Version", report.Version);
        html.Append("<dt>sha256</dt><dd><code>").Append(E(report.Sha256)).Append("</code></dd>\n");
        Term(html, "Annotations", report.Annotations);
        Term(html, "Images folder", report.Images);
        if (report.Dataset is { } dataset)
        {
            html.Append("<dt>Annotations sha256</dt><dd><code>").Append(E(dataset.AnnotationsSha256)).Append("</code></dd>\n");
            if (dataset.Version is not null)
            {
                Term(html, "Dataset version", $"{dataset.Version} ({dataset.Split}){(dataset.Complete == false ? $", incomplete: {dataset.Erased} entries erased" : "")}");
            }
        }

        Term(html, "Images scored", Int(report.ImageCount));
        Term(html, "Detections", Int(report.DetectionCount));
        Term(html, "Evaluated", evaluatedAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "unknown");
        Term(html, "Evaluation", id.ToString());
        html.Append("</dl>\n");

        html.Append("<h2 id=\"summary\">Summary</h2>\n<div class=\"pair\">\n<div>\n");
        Stats(html, report);
        html.Append("</div>\n<div>\n");
        Table(html, "Latency per image (queue, decode, inference, postprocess)", ["Measure", "Milliseconds"],
        [
            ["p50", F1(report.Latency.P50Ms)], ["p95", F1(report.Latency.P95Ms)], ["mean", F1(report.Latency.MeanMs)], ["max", F1(report.Latency.MaxMs)],
        ]);
        Table(html, "Calibration", ["Measure", "Value"],
        [
            ["Expected calibration error (ECE)", F(report.Calibration.ExpectedCalibrationError, "F4")],
            ["Detections counted (score at or above " + F(report.Calibration.MinScore, "F2") + ")", Int(report.Calibration.Detections)],
        ]);
        html.Append("</div>\n</div>\n");

        html.Append("<h2 id=\"precision-recall\">Precision and recall</h2>\n");
        Figure(html, plots["plot-pr"], $"Precision at the 101 COCO recall points, IoU 0.5, up to 100 detections per image; the {ReportPlots.TopClasses} classes with most ground truth and the mean over all classes.");
        html.Append("<h2 id=\"per-class-ap\">Average precision per class</h2>\n");
        Figure(html, plots["plot-ap"], "AP@[.5:.95] (dark) within AP50 (light) per class, highest AP first; the dashed line is the mAP.");

        html.Append("<h2 id=\"calibration\">Calibration</h2>\n<div class=\"pair\">\n<div>\n");
        Figure(html, plots["plot-reliability"], "A detection is right when it matches an unmatched ground-truth box of its class at IoU 0.5. Bars: accuracy per score bin; dots: at the bin's mean score.");
        html.Append("</div>\n<div>\n");
        Table(html, $"{report.Calibration.Bins.Count} score bins", ["Score bin", "Detections", "Mean score", "Accuracy"],
            [.. report.Calibration.Bins.Select(b => new[] { $"{F(b.Low, "F1")} to {F(b.High, "F1")}", Int(b.Count), F(b.MeanScore, "F3"), F(b.Accuracy, "F3") })]);
        html.Append("</div>\n</div>\n");
        html.Append("<h2 id=\"confusion\">Confusion matrix</h2>\n");
        Figure(html, plots["plot-confusion"], "Boxes paired at IoU 0.5 whatever their classes: the background column counts missed boxes, the background row false alarms.");

        html.Append("<h2 id=\"classes\">Classes</h2>\n");
        Table(html, $"{report.Classes.Count} classes with ground truth, most ground truth first", ["Class", "Category id", "AP", "AP50", "Ground truth"],
            [.. report.Classes.OrderByDescending(c => c.GroundTruth).ThenBy(c => c.Name, StringComparer.Ordinal)
                .Select(c => new[] { c.Name, Int(c.CategoryId), F(c.Ap, "F3"), F(c.Ap50, "F3"), Int(c.GroundTruth) })]);
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Stats(StringBuilder html, EvaluationJobReport report)
    {
        var s = report.Stats;
        Table(html, "COCO metrics (bounding boxes)", ["Metric", "Value"],
        [
            ["mAP@[.5:.95]", F(s.MapAll, "F3")], ["mAP@.5", F(s.Map50, "F3")], ["mAP@.75", F(s.Map75, "F3")],
            ["mAP small", F(s.MapSmall, "F3")], ["mAP medium", F(s.MapMedium, "F3")], ["mAP large", F(s.MapLarge, "F3")],
            ["AR@1", F(s.Ar1, "F3")], ["AR@10", F(s.Ar10, "F3")], ["AR@100", F(s.Ar100, "F3")],
            ["AR small", F(s.ArSmall, "F3")], ["AR medium", F(s.ArMedium, "F3")], ["AR large", F(s.ArLarge, "F3")],
        ]);
    }

    /// <summary>A table with a header row; each row's first cell is its header.</summary>
    private static void Table(StringBuilder html, string caption, string[] columns, IEnumerable<string[]> rows)
    {
        html.Append("<table>\n<caption>").Append(E(caption)).Append("</caption>\n<thead><tr>");
        foreach (var column in columns)
        {
            html.Append("<th scope=\"col\">").Append(E(column)).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            html.Append("<tr><th scope=\"row\">").Append(E(row[0])).Append("</th>");
            foreach (var cell in row.Skip(1))
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void Figure(StringBuilder html, PlotImage plot, string caption) =>
        html.Append("<figure>\n<img id=\"").Append(plot.Id).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(plot.Png))
            .Append("\" alt=\"").Append(E(plot.Alt)).Append("\" width=\"").Append(Int(plot.Width)).Append("\" height=\"").Append(Int(plot.Height)).Append("\">\n")
            .Append("<figcaption>").Append(E(caption)).Append("</figcaption>\n</figure>\n");

    private static void Term(StringBuilder html, string term, string value) =>
        html.Append("<dt>").Append(E(term)).Append("</dt><dd>").Append(E(value)).Append("</dd>\n");

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F1(double value) => F(value, "F1");

    /// <summary>COCO's -1 (undefined: nothing in that range) reads as n/a.</summary>
    private static string F(double value, string format) => value < 0 ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);
}
