using System.Buffers;

namespace Detector.Modules.Inference.Postprocessing;

/// <summary>Class-aware greedy non-maximum suppression: boxes only suppress boxes of their own class.</summary>
internal static class Nms
{
    /// <summary>
    /// Candidates NMS looks at, at most: the best-scoring ones. <c>min_score=0</c> lets every
    /// anchor of every class through (about 280,000 for YOLOX at 416), and sorting and suppressing
    /// those cost seconds of CPU per image. 10,000 is far above what any reference evaluation keeps
    /// before NMS (1,000 per level for GFL heads), so results at sane thresholds do not change.
    /// </summary>
    public const int MaxCandidates = 10_000;

    private const int ScoreBins = 1024;

    /// <summary>
    /// Sorts <paramref name="candidates"/> by score (descending) and keeps at most
    /// <paramref name="maxKeep"/> survivors at the front; returns how many survived. Only the
    /// best <see cref="MaxCandidates"/> take part.
    /// </summary>
    public static int Run(Span<Candidate> candidates, float iouThreshold, int maxKeep)
    {
        if (candidates.IsEmpty || maxKeep <= 0)
        {
            return 0;
        }

        if (candidates.Length > MaxCandidates)
        {
            candidates = candidates[..KeepBest(candidates, MaxCandidates)];
        }

        candidates.Sort(static (a, b) => b.Score.CompareTo(a.Score));
        var kept = 0;
        for (var i = 0; i < candidates.Length && kept < maxKeep; i++)
        {
            ref readonly var c = ref candidates[i];
            var suppressed = false;
            for (var k = 0; k < kept; k++)
            {
                ref readonly var s = ref candidates[k];
                if (s.ClassId == c.ClassId && Iou(in s, in c) > iouThreshold)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                candidates[kept++] = c;
            }
        }

        return kept;
    }

    /// <summary>
    /// Moves at most <paramref name="limit"/> candidates to the front, none scoring below any left
    /// behind except within one score bin of 1/1024: a histogram pass and a compaction pass, O(n),
    /// instead of sorting everything. Returns how many were kept.
    /// </summary>
    internal static int KeepBest(Span<Candidate> candidates, int limit)
    {
        Span<int> bins = stackalloc int[ScoreBins];
        bins.Clear();
        foreach (ref readonly var c in candidates)
        {
            bins[Bin(c.Score)]++;
        }

        // The lowest bin whose candidates, with all above it, still fit; the next bin down is cut part-way.
        var cut = ScoreBins - 1;
        var above = 0;
        while (cut >= 0 && above + bins[cut] <= limit)
        {
            above += bins[cut--];
        }

        var partial = limit - above;
        var kept = 0;
        for (var i = 0; i < candidates.Length && kept < limit; i++)
        {
            var bin = Bin(candidates[i].Score);
            if (bin > cut || (bin == cut && partial-- > 0))
            {
                candidates[kept++] = candidates[i];
            }
        }

        return kept;
    }

    private static int Bin(float score) => Math.Clamp((int)(score * ScoreBins), 0, ScoreBins - 1);

    public static float Iou(in Candidate a, in Candidate b)
    {
        var iw = MathF.Min(a.X2, b.X2) - MathF.Max(a.X1, b.X1);
        var ih = MathF.Min(a.Y2, b.Y2) - MathF.Max(a.Y1, b.Y1);
        if (iw <= 0 || ih <= 0)
        {
            return 0;
        }

        var inter = iw * ih;
        var union = ((a.X2 - a.X1) * (a.Y2 - a.Y1)) + ((b.X2 - b.X1) * (b.Y2 - b.Y1)) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}

/// <summary>A growable candidate buffer on the array pool, so decoding allocates nothing per image.</summary>
internal ref struct CandidateBuffer
{
    private Candidate[] _items;

    public CandidateBuffer(int initialCapacity)
    {
        _items = ArrayPool<Candidate>.Shared.Rent(initialCapacity);
        Count = 0;
    }

    public int Count { get; private set; }

    public readonly Span<Candidate> Span => _items.AsSpan(0, Count);

    public void Add(in Candidate candidate)
    {
        if (Count == _items.Length)
        {
            var bigger = ArrayPool<Candidate>.Shared.Rent(_items.Length * 2);
            _items.AsSpan(0, Count).CopyTo(bigger);
            ArrayPool<Candidate>.Shared.Return(_items);
            _items = bigger;
        }

        _items[Count++] = candidate;
    }

    public void Dispose()
    {
        ArrayPool<Candidate>.Shared.Return(_items);
        _items = [];
    }
}
