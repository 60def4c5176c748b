namespace Detector.Modules.Labeling.Consensus;

/// <summary>One labeled box in image pixels (x, y the top-left corner), named by a class.</summary>
internal sealed record LabelBox(string Label, double X, double Y, double Width, double Height);

/// <summary>What two label sets of an item came to: agreed (with the final boxes) or disputed.</summary>
internal sealed record ConsensusOutcome(bool Agreed, IReadOnlyList<LabelBox>? FinalBoxes);

/// <summary>
/// The consensus rule of two label sets (ADR 0023): boxes are matched one to one, same label and
/// IoU at least 0.5, greedily by highest IoU first; the sets agree when every box of both is
/// matched, and the final boxes are then the mean of each matched pair. Anything else is disputed.
/// </summary>
internal static class BoxConsensus
{
    public const double IouThreshold = 0.5;

    public static ConsensusOutcome Decide(IReadOnlyList<LabelBox> a, IReadOnlyList<LabelBox> b)
    {
        var pairs = Match(a, b);
        if (pairs.Count != a.Count || pairs.Count != b.Count)
        {
            return new ConsensusOutcome(false, null);
        }

        var final = pairs
            .OrderBy(p => p.A)
            .Select(p => new LabelBox(a[p.A].Label, (a[p.A].X + b[p.B].X) / 2, (a[p.A].Y + b[p.B].Y) / 2, (a[p.A].Width + b[p.B].Width) / 2, (a[p.A].Height + b[p.B].Height) / 2))
            .ToList();
        return new ConsensusOutcome(true, final);
    }

    /// <summary>Whether two label sets agree under the rule (a labeler's set against a reviewer's final one).</summary>
    public static bool Agrees(IReadOnlyList<LabelBox> a, IReadOnlyList<LabelBox> b) => Decide(a, b).Agreed;

    /// <summary>One-to-one matches (index in a, index in b) of same-label boxes at IoU ≥ 0.5, highest IoU first.</summary>
    public static IReadOnlyList<(int A, int B)> Match(IReadOnlyList<LabelBox> a, IReadOnlyList<LabelBox> b)
    {
        var candidates = new List<(double Iou, int A, int B)>();
        for (var i = 0; i < a.Count; i++)
        {
            for (var j = 0; j < b.Count; j++)
            {
                if (string.Equals(a[i].Label, b[j].Label, StringComparison.Ordinal) && Iou(a[i], b[j]) is var iou && iou >= IouThreshold)
                {
                    candidates.Add((iou, i, j));
                }
            }
        }

        var takenA = new bool[a.Count];
        var takenB = new bool[b.Count];
        var pairs = new List<(int, int)>();
        foreach (var (_, i, j) in candidates.OrderByDescending(c => c.Iou).ThenBy(c => c.A).ThenBy(c => c.B))
        {
            if (!takenA[i] && !takenB[j])
            {
                takenA[i] = takenB[j] = true;
                pairs.Add((i, j));
            }
        }

        return pairs;
    }

    public static double Iou(LabelBox a, LabelBox b)
    {
        var w = Math.Min(a.X + a.Width, b.X + b.Width) - Math.Max(a.X, b.X);
        var h = Math.Min(a.Y + a.Height, b.Y + b.Height) - Math.Max(a.Y, b.Y);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var inter = w * h;
        var union = (a.Width * a.Height) + (b.Width * b.Height) - inter;
        return union > 0 ? inter / union : 0;
    }
}
