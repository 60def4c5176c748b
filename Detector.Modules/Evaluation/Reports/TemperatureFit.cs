using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>
/// Fits temperatures by the negative log-likelihood of "right" over labelled detections, on a
/// fixed log-spaced grid (0.1 to 10, 400 points): no optimiser state, so the same labels always
/// give the same temperatures. A class gets its own only with enough labelled detections of both
/// kinds; the rest use the temperature fitted on all of them.
/// </summary>
internal static class TemperatureFit
{
    public const int MinClassDetections = 40;

    public const int MinClassRightAndWrong = 5;

    private static readonly double[] Grid = [.. Enumerable.Range(0, 400).Select(i => Math.Pow(10, -1 + (2.0 * i / 399)))];

    public static (double Temperature, Dictionary<int, double> PerCategory) Fit(IReadOnlyList<(double Score, int CategoryId, bool Right)> labelled)
    {
        var all = Best(labelled);
        var perCategory = new Dictionary<int, double>();
        foreach (var group in labelled.GroupBy(l => l.CategoryId).OrderBy(g => g.Key))
        {
            var items = group.ToList();
            var right = items.Count(i => i.Right);
            if (items.Count >= MinClassDetections && right >= MinClassRightAndWrong && items.Count - right >= MinClassRightAndWrong)
            {
                perCategory[group.Key] = Best(items);
            }
        }

        return (all, perCategory);
    }

    private static double Best(IReadOnlyList<(double Score, int CategoryId, bool Right)> items)
    {
        var best = 1.0;
        var bestLoss = double.PositiveInfinity;
        foreach (var t in Grid)
        {
            double loss = 0;
            foreach (var (score, _, right) in items)
            {
                var p = Math.Clamp(ScoreCalibration.Scale(score, t), 1e-9, 1 - 1e-9);
                loss -= right ? Math.Log(p) : Math.Log(1 - p);
            }

            if (loss < bestLoss)
            {
                (best, bestLoss) = (t, loss);
            }
        }

        return best;
    }
}
