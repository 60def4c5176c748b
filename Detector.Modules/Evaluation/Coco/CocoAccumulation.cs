namespace Detector.Modules.Evaluation.Coco;

/// <summary>
/// COCOeval.accumulate: for every category, area range and maxDets, the precision at each of the
/// 101 recall levels and the final recall, per IoU threshold, over all images at once.
/// Undefined entries (no ground truth to recall) are -1, as in pycocotools.
/// </summary>
internal sealed class CocoAccumulation
{
    // np.spacing(1)
    private const double Epsilon = 2.220446049250313e-16;

    // precision[T, R, K, A, M] and recall[T, K, A, M], row-major as in numpy.
    private readonly double[] _precision;
    private readonly double[] _recall;
    private readonly int _categories;

    private CocoAccumulation(int categories)
    {
        _categories = categories;
        int T = CocoEvaluator.IouThresholds.Length, R = CocoEvaluator.RecallThresholds.Length, A = CocoEvaluator.AreaRanges.Length, M = CocoEvaluator.MaxDets.Length;
        _precision = new double[T * R * categories * A * M];
        _recall = new double[T * categories * A * M];
        Array.Fill(_precision, -1.0);
        Array.Fill(_recall, -1.0);
    }

    public int Categories => _categories;

    public double Precision(int t, int r, int k, int a, int m) => _precision[PrecisionIndex(t, r, k, a, m)];

    public double Recall(int t, int k, int a, int m) => _recall[RecallIndex(t, k, a, m)];

    /// <param name="evalImgs">evaluateImg's results indexed [k, a, i]; null where the image had neither ground truth nor detections.</param>
    public static CocoAccumulation Accumulate(CocoMatching.EvalImg?[] evalImgs, int K, int A, int I)
    {
        var result = new CocoAccumulation(K);
        for (var k = 0; k < K; k++)
        {
            for (var a = 0; a < A; a++)
            {
                var E = new List<CocoMatching.EvalImg>();
                for (var i = 0; i < I; i++)
                {
                    if (evalImgs[(k * A + a) * I + i] is { } e)
                    {
                        E.Add(e);
                    }
                }

                if (E.Count == 0)
                {
                    continue;
                }

                for (var m = 0; m < CocoEvaluator.MaxDets.Length; m++)
                {
                    result.AccumulateOne(E, k, a, m);
                }
            }
        }

        return result;
    }

    private void AccumulateOne(List<CocoMatching.EvalImg> E, int k, int a, int m)
    {
        int T = CocoEvaluator.IouThresholds.Length, R = CocoEvaluator.RecallThresholds.Length;
        var maxDet = CocoEvaluator.MaxDets[m];

        // Concatenate the first maxDet detections of every image, then a stable sort by score.
        var entries = new List<(CocoMatching.EvalImg Img, int Det)>();
        foreach (var e in E)
        {
            var take = Math.Min(maxDet, e.DtScores.Length);
            for (var d = 0; d < take; d++)
            {
                entries.Add((e, d));
            }
        }

        var order = entries.OrderBy(x => -x.Img.DtScores[x.Det]).ToArray();
        var npig = E.Sum(e => e.GtIgnore.Count(ig => !ig));
        if (npig == 0)
        {
            return;
        }

        var nd = order.Length;
        var rc = new double[nd];
        var pr = new double[nd];
        for (var t = 0; t < T; t++)
        {
            long tpSum = 0, fpSum = 0;
            for (var n = 0; n < nd; n++)
            {
                var (img, d) = order[n];
                var matched = img.DtMatches[t, d] != 0;
                var ignored = img.DtIgnore[t, d];
                if (matched && !ignored)
                {
                    tpSum++;
                }
                else if (!matched && !ignored)
                {
                    fpSum++;
                }

                double tp = tpSum, fp = fpSum;
                rc[n] = tp / npig;
                pr[n] = tp / (fp + tp + Epsilon);
            }

            _recall[RecallIndex(t, k, a, m)] = nd > 0 ? rc[nd - 1] : 0;

            // Precision envelope: monotone non-increasing from the right.
            for (var n = nd - 1; n > 0; n--)
            {
                if (pr[n] > pr[n - 1])
                {
                    pr[n - 1] = pr[n];
                }
            }

            // Recall levels never reached keep precision 0 (the bare except in pycocotools).
            for (var r = 0; r < R; r++)
            {
                var pi = SearchSortedLeft(rc, CocoEvaluator.RecallThresholds[r]);
                _precision[PrecisionIndex(t, r, k, a, m)] = pi < nd ? pr[pi] : 0;
            }
        }
    }

    /// <summary>np.searchsorted(side='left') on a non-decreasing array: the first index with a[i] &gt;= value.</summary>
    private static int SearchSortedLeft(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private int PrecisionIndex(int t, int r, int k, int a, int m) =>
        (((((t * CocoEvaluator.RecallThresholds.Length) + r) * _categories + k) * CocoEvaluator.AreaRanges.Length) + a) * CocoEvaluator.MaxDets.Length + m;

    private int RecallIndex(int t, int k, int a, int m) =>
        (((t * _categories) + k) * CocoEvaluator.AreaRanges.Length + a) * CocoEvaluator.MaxDets.Length + m;
}
