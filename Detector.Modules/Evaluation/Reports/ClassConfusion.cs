using Detector.Modules.Evaluation.Coco;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>Counts[row][column]: rows are the true class, columns the predicted one; the last label of each is "background".</summary>
internal sealed record ConfusionMatrix(double MinScore, IReadOnlyList<string> Labels, IReadOnlyList<int[]> Counts);

/// <summary>
/// The class confusion matrix at IoU 0.5 over detections at or above the serving threshold: in
/// each image, ground-truth and detected boxes are paired whatever their classes, highest IoU
/// first, each box at most once. A pair counts at [true class, predicted class]; a box left alone
/// counts at [true class, background] (a miss) or [background, predicted class] (a false alarm).
/// </summary>
internal static class ClassConfusion
{
    public const string Background = "background";

    public static ConfusionMatrix Measure(CocoDataset dataset, IReadOnlyList<CocoDetection> detections, double minScore)
    {
        var names = dataset.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name);
        var kept = detections.Where(d => d.Score >= minScore).ToList();
        var truth = ReportMatching.GroundTruthByImage(dataset);
        var classes = truth.SelectMany(g => g).Select(a => a.CategoryId).Concat(kept.Select(d => d.CategoryId)).Distinct().Order().ToList();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var size = classes.Count + 1;
        var counts = Enumerable.Range(0, size).Select(_ => new int[size]).ToArray();
        var background = size - 1;

        var byImage = kept.ToLookup(d => d.ImageId);
        foreach (var imageId in truth.Select(g => g.Key).Concat(byImage.Select(g => g.Key)).Distinct())
        {
            var gts = truth[imageId].ToList();
            var dts = byImage[imageId].ToList();
            var pairs = new List<(double Iou, int Gt, int Dt)>();
            for (var g = 0; g < gts.Count; g++)
            {
                for (var d = 0; d < dts.Count; d++)
                {
                    var iou = ReportMatching.IouOf(gts[g].Box, dts[d].Box);
                    if (iou >= ReportMatching.Iou)
                    {
                        pairs.Add((iou, g, d));
                    }
                }
            }

            var gtUsed = new bool[gts.Count];
            var dtUsed = new bool[dts.Count];
            foreach (var (_, g, d) in pairs.OrderByDescending(p => p.Iou).ThenBy(p => p.Gt).ThenBy(p => p.Dt))
            {
                if (!gtUsed[g] && !dtUsed[d])
                {
                    (gtUsed[g], dtUsed[d]) = (true, true);
                    counts[index[gts[g].CategoryId]][index[dts[d].CategoryId]]++;
                }
            }

            for (var g = 0; g < gts.Count; g++)
            {
                if (!gtUsed[g])
                {
                    counts[index[gts[g].CategoryId]][background]++;
                }
            }

            for (var d = 0; d < dts.Count; d++)
            {
                if (!dtUsed[d])
                {
                    counts[background][index[dts[d].CategoryId]]++;
                }
            }
        }

        var labels = classes.Select(c => names.GetValueOrDefault(c, c.ToString(System.Globalization.CultureInfo.InvariantCulture))).Append(Background).ToList();
        return new ConfusionMatrix(minScore, labels, counts);
    }
}
