using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Rollouts.Comparison;

/// <summary>How a candidate's detections on one image compare with the reference's (production's).</summary>
/// <param name="Matched">Candidate boxes matched to a reference box of the same class at IoU ≥ 0.5.</param>
/// <param name="Candidate">Candidate boxes.</param>
/// <param name="Reference">Reference boxes.</param>
/// <param name="ScoreShift">Sum over matches of candidate score minus reference score.</param>
/// <param name="CountDifference">Per class: candidate boxes minus reference boxes (classes with a difference only).</param>
internal sealed record ImageComparison(int Matched, int Candidate, int Reference, double ScoreShift, IReadOnlyDictionary<string, int> CountDifference);

/// <summary>
/// Agreement of a candidate with the reference: the F1 of its boxes against the reference's, on
/// one image (shadow disagreements) or summed over a window (rollout comparison). Two empty
/// answers agree (1); boxes on one side only, or none matched, do not (0).
/// </summary>
internal static class Agreement
{
    public static double Of(ImageComparison c) => F1(c.Matched, c.Candidate, c.Reference);

    public static double F1(int matched, int candidate, int reference) =>
        candidate + reference == 0 ? 1.0 : 2.0 * matched / (candidate + reference);
}

/// <summary>
/// Matches two models' detections on the same image the way detection metrics do: per class,
/// candidate boxes in descending score each take the unmatched reference box of that class with
/// the highest IoU, if it is at least 0.5. Precision and recall of the candidate against the
/// reference follow from the counts; neither side is ground truth.
/// </summary>
internal static class DetectionComparer
{
    public const float IouThreshold = 0.5f;

    public static ImageComparison Compare(IReadOnlyList<Detection> candidate, IReadOnlyList<Detection> reference)
    {
        var taken = new bool[reference.Count];
        var matched = 0;
        var shift = 0.0;
        foreach (var c in candidate.OrderByDescending(d => d.Score))
        {
            var best = -1;
            var bestIou = IouThreshold;
            for (var i = 0; i < reference.Count; i++)
            {
                if (taken[i] || reference[i].ClassId != c.ClassId)
                {
                    continue;
                }

                var iou = Iou(c.Box, reference[i].Box);
                if (iou >= bestIou)
                {
                    (best, bestIou) = (i, iou);
                }
            }

            if (best >= 0)
            {
                taken[best] = true;
                matched++;
                shift += c.Score - reference[best].Score;
            }
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in candidate)
        {
            counts[d.Label] = counts.GetValueOrDefault(d.Label) + 1;
        }

        foreach (var d in reference)
        {
            counts[d.Label] = counts.GetValueOrDefault(d.Label) - 1;
        }

        return new ImageComparison(matched, candidate.Count, reference.Count, shift, counts.Where(kv => kv.Value != 0).ToDictionary(StringComparer.Ordinal));
    }

    public static float Iou(float[] a, float[] b)
    {
        var w = Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]);
        var h = Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var inter = w * h;
        var union = ((a[2] - a[0]) * (a[3] - a[1])) + ((b[2] - b[0]) * (b[3] - b[1])) - inter;
        return union > 0 ? inter / union : 0;
    }
}
