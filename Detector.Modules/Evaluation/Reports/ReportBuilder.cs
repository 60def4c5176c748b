using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Contracts;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>What the job knows about the run besides the detections.</summary>
internal sealed record ReportSubject(string Model, string Version, string Sha256, string Annotations, string Images);

/// <summary>Builds the report from the dataset and every image's detections and latency, in image order (so a resumed run gives the same report).</summary>
internal static class ReportBuilder
{
    /// <summary>The serving threshold: the confusion matrix is what users would see.</summary>
    public const double ConfusionMinScore = 0.25;

    /// <summary>Scores below this are left out of the calibration (see <see cref="CalibrationMeasure"/>).</summary>
    public const double CalibrationMinScore = 0.05;

    public static EvaluationJobReport Build(ReportSubject subject, CocoDataset dataset, IReadOnlyList<long> imageIds, IReadOnlyList<CocoDetection> detections, IReadOnlyList<double> latenciesMs, Models.Contracts.ScoreCalibration? calibration = null, IReadOnlyList<int>? cocoCategoryIds = null)
    {
        // Only the images that were scored: a missing file is neither a miss nor a false alarm.
        var included = imageIds.ToHashSet();
        dataset = new CocoDataset([.. dataset.Images.Where(i => included.Contains(i.Id))], dataset.Categories, [.. dataset.Annotations.Where(a => included.Contains(a.ImageId))]);
        detections = [.. detections.Where(d => included.Contains(d.ImageId))];
        var coco = CocoEvaluator.Evaluate(dataset, detections, imageIds);
        var names = dataset.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name);
        var groundTruth = dataset.Annotations.Where(a => !a.IsCrowd).GroupBy(a => a.CategoryId).ToDictionary(g => g.Key, g => g.Count());
        var acc = coco.Accumulation;
        var classes = new List<ClassReport>();
        for (var k = 0; k < coco.CategoryIds.Length; k++)
        {
            var id = coco.CategoryIds[k];
            if (!coco.PerCategoryAp.TryGetValue(id, out var ap) || ap <= -1)
            {
                continue; // no ground truth of this class in the dataset
            }

            // t = 0 (IoU 0.5), a = 0 (all areas), m = 2 (100 detections), as pycocotools' AP50.
            var curve = Enumerable.Range(0, CocoEvaluator.RecallThresholds.Length).Select(r => acc.Precision(0, r, k, 0, 2)).ToArray();
            var defined = curve.Where(p => p > -1).ToList();
            classes.Add(new ClassReport(names[id], id, ap, defined.Count == 0 ? -1 : defined.Average(), groundTruth.GetValueOrDefault(id), curve));
        }

        var sorted = latenciesMs.Order().ToList();
        var s = coco.Stats;
        return new EvaluationJobReport(
            subject.Model,
            subject.Version,
            subject.Sha256,
            subject.Annotations,
            subject.Images,
            coco.ImageCount,
            coco.DetectionCount,
            new EvaluationStats(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11]),
            classes,
            ClassConfusion.Measure(dataset, detections, ConfusionMinScore),
            CalibrationMeasure.Measure(dataset, detections, CalibrationMinScore),
            new LatencySummary(Percentile(sorted, 50), Percentile(sorted, 95), sorted.Count == 0 ? 0 : sorted.Average(), sorted.Count == 0 ? 0 : sorted[^1]),
            calibration is null || cocoCategoryIds is null ? null : Calibrated(dataset, detections, calibration, cocoCategoryIds));
    }

    /// <summary>The same detections (raw score at or above the threshold), right or wrong as before, with calibrated scores.</summary>
    public static CalibrationSummary Calibrated(CocoDataset dataset, IReadOnlyList<CocoDetection> detections, Models.Contracts.ScoreCalibration calibration, IReadOnlyList<int> cocoCategoryIds)
    {
        var classOf = cocoCategoryIds.Select((id, index) => (id, index)).ToDictionary(x => x.id, x => x.index);
        var labelled = CalibrationMeasure.Label(dataset, detections, CalibrationMinScore);
        return CalibrationMeasure.Summarise([.. labelled.Select(l => ((double)calibration.Apply(classOf.GetValueOrDefault(l.CategoryId, -1), (float)l.Score), l.Right))], CalibrationMinScore);
    }

    public static CostSummary CostOf(IReadOnlyList<double> coreMs, double pricePerCoreSecond, string currency)
    {
        var mean = coreMs.Count == 0 ? 0 : coreMs.Average();
        return new CostSummary(currency, pricePerCoreSecond, mean, mean / 1000 * pricePerCoreSecond * 1000);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
