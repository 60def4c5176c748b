using System.Globalization;
using Detector.Modules.Evaluation.Reports;
using ScottPlot;
using ScottPlot.AxisPanels;
using ScottPlot.TickGenerators;

namespace Detector.Modules.Evaluation.GetEvaluationReportPage;

/// <summary>A plot as a PNG, with its size and the text that stands for it.</summary>
internal sealed record PlotImage(string Id, string Alt, byte[] Png, int Width, int Height);

/// <summary>
/// The report's plots, drawn by ScottPlot 5 (through SkiaSharp) as PNG: precision-recall curves,
/// the reliability diagram, the confusion matrix as a heatmap and per-class AP bars. Text is drawn
/// with a font installed on the machine, DejaVu Sans (Debian's fonts-dejavu-core, installed by
/// deploy/bootstrap.sh and the image) where there is one, else the first font ScottPlot finds.
/// </summary>
internal static class ReportPlots
{
    /// <summary>The precision-recall plot shows this many classes, those with the most ground truth, and the mean over all.</summary>
    public const int TopClasses = 10;

    private const string Font = "DejaVu Sans";

    /// <summary>The four plots, in the page's order.</summary>
    public static IReadOnlyList<PlotImage> Draw(EvaluationJobReport report)
    {
        // The family of every label a new plot makes; a missing family falls back to the first font found.
        Fonts.Default = Font;
        return [PrecisionRecall(report), Reliability(report.Calibration), AveragePrecision(report), Confusion(report.Confusion)];
    }

    private static PlotImage PrecisionRecall(EvaluationJobReport report)
    {
        using var plot = new Plot();
        var recall = Enumerable.Range(0, 101).Select(r => r / 100.0).ToArray();
        var shown = report.Classes.OrderByDescending(c => c.GroundTruth).ThenBy(c => c.Name, StringComparer.Ordinal).Take(TopClasses).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < shown.Count; i++)
        {
            var curve = plot.Add.ScatterLine(recall, Defined(shown[i].PrecisionAtRecall), palette.GetColor(i));
            curve.LineWidth = 2;
            curve.LegendText = $"{shown[i].Name} (AP50 {F2(shown[i].Ap50)}, {shown[i].GroundTruth} gt)";
        }

        if (report.Classes.Count > 0)
        {
            var mean = recall.Select((_, r) => report.Classes.Average(c => Math.Max(0, c.PrecisionAtRecall[r]))).ToArray();
            var line = plot.Add.ScatterLine(recall, mean, Colors.Black);
            line.LineWidth = 3;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"mean of {report.Classes.Count} classes (mAP50 {F2(report.Stats.Map50)})";
        }

        plot.Title($"Precision-recall at IoU 0.5, the {shown.Count} classes with most ground truth");
        plot.XLabel("recall");
        plot.YLabel("precision");
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.ShowLegend(Edge.Right);
        return Image(plot, "plot-pr", $"Precision-recall curves at IoU 0.5 of the {shown.Count} classes with most ground truth and the mean over all {report.Classes.Count} classes.", 1000, 560);
    }

    private static PlotImage Reliability(CalibrationSummary calibration)
    {
        using var plot = new Plot();
        var used = calibration.Bins.Where(b => b.Count > 0).ToList();
        var bars = plot.Add.Bars(used.Select(b => new Bar
        {
            Position = (b.Low + b.High) / 2,
            Value = b.Accuracy,
            Size = (b.High - b.Low) * 0.9,
            FillColor = Color.FromHex("#4C78A8"),
            Label = b.Count.ToString(CultureInfo.InvariantCulture),
        }).ToArray());
        bars.LegendText = "accuracy per score bin (count on top)";
        bars.ValueLabelStyle.FontSize = 11;
        var points = plot.Add.Scatter(used.Select(b => b.MeanScore).ToArray(), used.Select(b => b.Accuracy).ToArray(), Color.FromHex("#E45756"));
        points.LineWidth = 0;
        points.MarkerSize = 9;
        points.LegendText = "accuracy at the bin's mean score";
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        plot.Title($"Reliability diagram, ECE {F3(calibration.ExpectedCalibrationError)}");
        plot.XLabel($"score ({calibration.Detections} detections at or above {F2(calibration.MinScore)})");
        plot.YLabel("accuracy (matched at IoU 0.5)");
        plot.Axes.SetLimits(0, 1, 0, 1.05);
        plot.ShowLegend(Alignment.UpperLeft);
        return Image(plot, "plot-reliability", $"Reliability diagram: accuracy against score in {calibration.Bins.Count} bins with the diagonal of perfect calibration; expected calibration error {F3(calibration.ExpectedCalibrationError)}.", 640, 560);
    }

    private static PlotImage Confusion(ConfusionMatrix confusion)
    {
        // Rows: the classes with ground truth, then background. Columns: the same classes, the other
        // classes together (predicted, never true) where any, then background. Each row in shares of its total.
        var background = confusion.Labels.Count - 1;
        var classes = Enumerable.Range(0, background).Where(r => confusion.Counts[r].Sum() > 0).ToList();
        var rows = classes.Append(background).ToList();
        var others = Enumerable.Range(0, background).Except(classes).ToList();
        var withOthers = others.Count > 0 && rows.Any(r => others.Any(c => confusion.Counts[r][c] > 0));
        var columns = classes.Select(c => (IReadOnlyList<int>)[c]).ToList();
        if (withOthers)
        {
            columns.Add(others);
        }

        columns.Add([background]);
        var shares = new double[rows.Count, columns.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            var total = confusion.Counts[rows[r]].Sum();
            for (var c = 0; c < columns.Count; c++)
            {
                shares[r, c] = total == 0 ? 0 : columns[c].Sum(k => confusion.Counts[rows[r]][k]) / (double)total;
            }
        }

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "share of the row's boxes";
        bar.Axis.TickGenerator = new NumericManual([0, 0.25, 0.5, 0.75, 1], ["0", "0.25", "0.5", "0.75", "1"]);
        var rowLabels = rows.Select(k => confusion.Labels[k]).ToArray();
        var columnLabels = columns.Select(c => c.Count > 1 ? "other classes" : confusion.Labels[c[0]]).ToArray();
        var fontSize = rows.Count > 40 ? 10 : 12;

        // The heatmap's first row is drawn at the top, at y = rows - 1; cells are one unit wide, centred on their index.
        var bottom = (AxisBase)plot.Axes.Bottom;
        bottom.TickGenerator = new NumericManual([.. Enumerable.Range(0, columns.Count).Select(c => (double)c)], columnLabels);
        bottom.TickLabelStyle.Rotation = 90;
        bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        bottom.TickLabelStyle.FontSize = fontSize;
        bottom.MinimumSize = (columnLabels.Max(l => l.Length) * fontSize * 0.65f) + 40;
        var left = (AxisBase)plot.Axes.Left;
        left.TickGenerator = new NumericManual([.. Enumerable.Range(0, rows.Count).Select(r => (double)(rows.Count - 1 - r))], rowLabels);
        left.TickLabelStyle.FontSize = fontSize;
        plot.Axes.SetLimits(-0.5, columns.Count - 0.5, -0.5, rows.Count - 0.5);
        plot.Title($"Confusion matrix at IoU 0.5, scores at or above {F2(confusion.MinScore)}, rows normalised");
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        var side = Math.Clamp(300 + (rows.Count * 20), 640, 1500);
        return Image(plot, "plot-confusion", $"Confusion matrix heatmap of the {classes.Count} classes with ground truth and background: rows are the true class, columns the predicted one, each row as shares of its boxes.", side + 150, side);
    }

    private static PlotImage AveragePrecision(EvaluationJobReport report)
    {
        var classes = report.Classes.OrderByDescending(c => c.Ap).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        using var plot = new Plot();
        var ap50 = plot.Add.Bars(classes.Select((c, i) => new Bar { Position = i, Value = Math.Max(0, c.Ap50), Size = 0.8, FillColor = Color.FromHex("#9ECAE9") }).ToArray());
        ap50.LegendText = "AP50";
        var ap = plot.Add.Bars(classes.Select((c, i) => new Bar { Position = i, Value = Math.Max(0, c.Ap), Size = 0.5, FillColor = Color.FromHex("#1F77B4") }).ToArray());
        ap.LegendText = "AP@[.5:.95]";
        var mean = plot.Add.HorizontalLine(Math.Max(0, report.Stats.MapAll), 2, Color.FromHex("#D62728"), LinePattern.Dashed);
        mean.LegendText = $"mAP {F3(report.Stats.MapAll)}";
        var labels = classes.Select(c => c.Name).ToArray();
        var bottom = (AxisBase)plot.Axes.Bottom;
        bottom.TickGenerator = new NumericManual([.. Enumerable.Range(0, classes.Count).Select(i => (double)i)], labels);
        bottom.TickLabelStyle.Rotation = 90;
        bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        bottom.MinimumSize = labels.Length == 0 ? 40 : (labels.Max(l => l.Length) * 12 * 0.65f) + 30;
        plot.Axes.SetLimits(-0.7, Math.Max(1, classes.Count) - 0.3, 0, 1.02);
        plot.Title($"AP per class ({classes.Count} classes with ground truth)");
        plot.YLabel("average precision");
        plot.ShowLegend(Alignment.UpperRight);
        var width = Math.Clamp(200 + (classes.Count * 22), 800, 1800);
        return Image(plot, "plot-ap", $"Bar chart of AP@[.5:.95] and AP50 for each of the {classes.Count} classes with ground truth, highest AP first, with the mean AP.", width, 560);
    }

    private static PlotImage Image(Plot plot, string id, string alt, int width, int height) =>
        new(id, alt, plot.GetImageBytes(width, height, ImageFormat.Png), width, height);

    /// <summary>-1 marks a class without ground truth, which the report leaves out; drawn as 0 should one come.</summary>
    private static double[] Defined(IReadOnlyList<double> precision) => [.. precision.Select(p => Math.Max(0, p))];

    private static string F2(double value) => value < 0 ? "n/a" : value.ToString("F2", CultureInfo.InvariantCulture);

    private static string F3(double value) => value < 0 ? "n/a" : value.ToString("F3", CultureInfo.InvariantCulture);
}
