using Detector.Modules.Evaluation.Coco;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>One bin of the reliability diagram: detections whose score falls in [Low, High).</summary>
internal sealed record ReliabilityBin(double Low, double High, int Count, double MeanScore, double Accuracy);

/// <summary>How well scores match the chance of being right: the reliability diagram and its expected calibration error.</summary>
internal sealed record CalibrationSummary(double MinScore, int Detections, double ExpectedCalibrationError, IReadOnlyList<ReliabilityBin> Bins);

/// <summary>
/// A detection is right when it matches an unmatched ground-truth box of its class at IoU 0.5,
/// detections taken in descending score per image and class (as COCO matches). Ten equal-width
/// score bins; ECE = sum over bins of (share of detections) x |accuracy - mean score|. Detections
/// below <see cref="CalibrationSummary.MinScore"/> are left out: the evaluation keeps everything
/// above 0.01, whose mass of near-zero scores would hide the calibration of the scores users see.
/// </summary>
internal static class CalibrationMeasure
{
    public const int BinCount = 10;

    public static CalibrationSummary Measure(CocoDataset dataset, IReadOnlyList<CocoDetection> detections, double minScore) =>
        Summarise([.. Label(dataset, detections, minScore).Select(l => (l.Score, l.Right))], minScore);

    /// <summary>Each detection at or above <paramref name="minScore"/> with whether it is right (see the class summary).</summary>
    public static List<(double Score, int CategoryId, bool Right)> Label(CocoDataset dataset, IReadOnlyList<CocoDetection> detections, double minScore)
    {
        var truth = ReportMatching.GroundTruthByImage(dataset);
        var scores = new List<(double Score, int CategoryId, bool Right)>();
        foreach (var group in detections.Where(d => d.Score >= minScore).GroupBy(d => (d.ImageId, d.CategoryId)))
        {
            var candidates = truth[group.Key.ImageId].Where(g => g.CategoryId == group.Key.CategoryId).ToList();
            var taken = new bool[candidates.Count];
            foreach (var detection in group.OrderByDescending(d => d.Score))
            {
                var best = -1;
                var bestIou = ReportMatching.Iou;
                for (var g = 0; g < candidates.Count; g++)
                {
                    var iou = ReportMatching.IouOf(detection.Box, candidates[g].Box);
                    if (!taken[g] && iou >= bestIou)
                    {
                        (best, bestIou) = (g, iou);
                    }
                }

                if (best >= 0)
                {
                    taken[best] = true;
                }

                scores.Add((detection.Score, detection.CategoryId, best >= 0));
            }
        }

        return scores;
    }

    /// <summary>The reliability diagram and ECE of scores already labelled right or wrong.</summary>
    public static CalibrationSummary Summarise(IReadOnlyList<(double Score, bool Right)> scores, double minScore)
    {
        var bins = new List<ReliabilityBin>(BinCount);
        double ece = 0;
        for (var b = 0; b < BinCount; b++)
        {
            double low = (double)b / BinCount, high = (double)(b + 1) / BinCount;
            var inBin = scores.Where(s => Bin(s.Score) == b).ToList();
            var meanScore = inBin.Count == 0 ? 0 : inBin.Average(s => s.Score);
            var accuracy = inBin.Count == 0 ? 0 : inBin.Count(s => s.Right) / (double)inBin.Count;
            bins.Add(new ReliabilityBin(low, high, inBin.Count, meanScore, accuracy));
            ece += scores.Count == 0 ? 0 : inBin.Count / (double)scores.Count * Math.Abs(accuracy - meanScore);
        }

        return new CalibrationSummary(minScore, scores.Count, ece, bins);
    }

    /// <summary>
    /// The ECE that perfectly calibrated scores would still measure on a sample this size: each
    /// detection drawn right with probability equal to its score, <paramref name="draws"/> times
    /// from a fixed seed, averaged. An ECE near it cannot be told from perfect calibration, so a
    /// calibration that would have to go below it cannot be shown to help on this data.
    /// </summary>
    public static double NoiseFloor(IReadOnlyList<double> scores, int draws = 500)
    {
        if (scores.Count == 0)
        {
            return 0;
        }

        var random = new Random(20261207);
        var bins = scores.GroupBy(Bin).Select(g => g.ToArray()).ToList();
        double total = 0;
        for (var d = 0; d < draws; d++)
        {
            foreach (var bin in bins)
            {
                var right = bin.Count(s => random.NextDouble() < s);
                total += Math.Abs(right - bin.Sum()) / scores.Count;
            }
        }

        return total / draws;
    }

    private static int Bin(double score) => Math.Clamp((int)(score * BinCount), 0, BinCount - 1);
}
