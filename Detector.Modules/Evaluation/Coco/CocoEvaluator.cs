namespace Detector.Modules.Evaluation.Coco;

/// <summary>The twelve COCOeval.summarize() numbers in their usual order, plus AP@[.5:.95] per category.</summary>
internal sealed record CocoEvaluation(double[] Stats, IReadOnlyDictionary<int, double> PerCategoryAp, int ImageCount, int DetectionCount)
{
    public const int StatCount = 12;
}

/// <summary>
/// pycocotools COCOeval for iouType 'bbox', ported line for line (evaluate, evaluateImg, accumulate,
/// summarize) so that the numbers match pycocotools on the same inputs, quirks included:
/// matching is done once with 100 detections and then truncated for maxDets 1 and 10, crowd IoU
/// divides by the detection area, areas use plain w*h, and ties keep input order (mergesort).
/// </summary>
internal static class CocoEvaluator
{
    /// <summary>np.linspace(.5, .95, 10): computed the numpy way, since threshold equality decides matches at exactly 0.6 etc.</summary>
    public static readonly double[] IouThresholds = Linspace(0.5, 0.95, 10);

    /// <summary>np.linspace(0, 1, 101): i*0.01, which is not i/100 for every i.</summary>
    public static readonly double[] RecallThresholds = Linspace(0.0, 1.0, 101);

    public static readonly int[] MaxDets = [1, 10, 100];

    public static readonly AreaRange[] AreaRanges =
    [
        new("all", 0, 1e5 * 1e5),
        new("small", 0, 32 * 32),
        new("medium", 32 * 32, 96 * 96),
        new("large", 96 * 96, 1e5 * 1e5),
    ];

    // np.spacing(1)
    private const double Epsilon = 2.220446049250313e-16;

    /// <param name="groundTruth">Ground truth; its categories (all of them, sorted) are the categories evaluated.</param>
    /// <param name="detections">Results in file order; ids are assigned 1..n in this order as loadRes does.</param>
    /// <param name="imageIds">Images to evaluate (params.imgIds); null means every image in the ground truth.</param>
    public static CocoEvaluation Evaluate(CocoDataset groundTruth, IReadOnlyList<CocoDetection> detections, IEnumerable<long>? imageIds = null)
    {
        var knownImages = groundTruth.Images.Select(i => i.Id).ToHashSet();
        foreach (var detection in detections)
        {
            if (!knownImages.Contains(detection.ImageId))
            {
                // loadRes asserts the same.
                throw new ArgumentException($"Results do not correspond to the ground truth: image {detection.ImageId} is not in it.", nameof(detections));
            }
        }

        var imgIds = (imageIds ?? knownImages).Distinct().Order().ToArray();
        var catIds = groundTruth.Categories.Select(c => c.Id).Distinct().Order().ToArray();
        var imgIndex = new Dictionary<long, int>();
        for (var i = 0; i < imgIds.Length; i++)
        {
            imgIndex[imgIds[i]] = i;
        }

        var catIndex = new Dictionary<int, int>();
        for (var k = 0; k < catIds.Length; k++)
        {
            catIndex[catIds[k]] = k;
        }

        // _prepare: group by (image, category), keeping file order inside each group.
        var gts = new Dictionary<(int Img, int Cat), List<CocoAnnotation>>();
        foreach (var gt in groundTruth.Annotations)
        {
            if (imgIndex.TryGetValue(gt.ImageId, out var i) && catIndex.TryGetValue(gt.CategoryId, out var k))
            {
                GetOrAdd(gts, (i, k)).Add(gt);
            }
        }

        var dts = new Dictionary<(int Img, int Cat), List<Det>>();
        var detectionCount = 0;
        for (var n = 0; n < detections.Count; n++)
        {
            var d = detections[n];
            if (imgIndex.TryGetValue(d.ImageId, out var i) && catIndex.TryGetValue(d.CategoryId, out var k))
            {
                GetOrAdd(dts, (i, k)).Add(new Det(n + 1, d.Box, d.Box.Width * d.Box.Height, d.Score));
                detectionCount++;
            }
        }

        var maxDet = MaxDets[^1];
        int I = imgIds.Length, K = catIds.Length, A = AreaRanges.Length;
        var evalImgs = new EvalImg?[K * A * I];
        for (var k = 0; k < K; k++)
        {
            for (var i = 0; i < I; i++)
            {
                var gt = gts.TryGetValue((i, k), out var g) ? g : [];
                var dt = dts.TryGetValue((i, k), out var d) ? d : [];
                if (gt.Count == 0 && dt.Count == 0)
                {
                    continue;
                }

                var sortedDt = SortByScoreDescending(dt, maxDet);
                var ious = ComputeIou(sortedDt, gt);
                for (var a = 0; a < A; a++)
                {
                    evalImgs[(k * A + a) * I + i] = EvaluateImg(gt, sortedDt, ious, AreaRanges[a]);
                }
            }
        }

        var (precision, recall) = Accumulate(evalImgs, K, A, I);
        var stats = Summarize(precision, recall, K);

        var perCategory = new Dictionary<int, double>();
        for (var k = 0; k < K; k++)
        {
            var values = new List<double>();
            for (var t = 0; t < IouThresholds.Length; t++)
            {
                for (var r = 0; r < RecallThresholds.Length; r++)
                {
                    values.Add(precision[PrecisionIndex(t, r, k, 0, MaxDets.Length - 1, K)]);
                }
            }

            perCategory[catIds[k]] = MeanOfDefined(values);
        }

        return new CocoEvaluation(stats, perCategory, imgIds.Length, detectionCount);
    }

    /// <summary>np.argsort(-score, kind='mergesort')[:maxDet]: stable, so equal scores keep input order.</summary>
    private static Det[] SortByScoreDescending(List<Det> dt, int maxDet) =>
        [.. dt.OrderBy(d => -d.Score).Take(maxDet)];

    /// <summary>maskApi.c bbIou: ious[d, g]; a crowd ground truth divides by the detection's area only.</summary>
    private static double[,] ComputeIou(Det[] dt, List<CocoAnnotation> gt)
    {
        var ious = new double[dt.Length, gt.Count];
        for (var g = 0; g < gt.Count; g++)
        {
            var G = gt[g].Box;
            var ga = G.Width * G.Height;
            var crowd = gt[g].IsCrowd;
            for (var d = 0; d < dt.Length; d++)
            {
                var D = dt[d].Box;
                var da = D.Width * D.Height;
                var w = Math.Min(D.Width + D.X, G.Width + G.X) - Math.Max(D.X, G.X);
                if (w <= 0)
                {
                    continue;
                }

                var h = Math.Min(D.Height + D.Y, G.Height + G.Y) - Math.Max(D.Y, G.Y);
                if (h <= 0)
                {
                    continue;
                }

                var intersection = w * h;
                var union = crowd ? da : da + ga - intersection;
                ious[d, g] = intersection / union;
            }
        }

        return ious;
    }

    private static EvalImg EvaluateImg(List<CocoAnnotation> gtUnsorted, Det[] dt, double[,] iousUnsorted, AreaRange range)
    {
        // Ground truth: ignored (crowd, or area outside the range) last, otherwise file order.
        var gtOrder = Enumerable.Range(0, gtUnsorted.Count)
            .OrderBy(g => IsIgnored(gtUnsorted[g], range) ? 1 : 0)
            .ToArray();
        var G = gtOrder.Length;
        var D = dt.Length;
        var T = IouThresholds.Length;
        var gtIg = new bool[G];
        var gtId = new long[G];
        var iscrowd = new bool[G];
        for (var g = 0; g < G; g++)
        {
            var annotation = gtUnsorted[gtOrder[g]];
            gtIg[g] = IsIgnored(annotation, range);
            gtId[g] = annotation.Id;
            iscrowd[g] = annotation.IsCrowd;
        }

        // Match ids as in pycocotools: dtm holds the gt id, gtm the dt id, 0 means none.
        var gtm = new long[T, G];
        var dtm = new long[T, D];
        var dtIg = new bool[T, D];
        if (D > 0 && G > 0)
        {
            for (var t = 0; t < T; t++)
            {
                for (var d = 0; d < D; d++)
                {
                    var iou = Math.Min(IouThresholds[t], 1 - 1e-10);
                    var m = -1;
                    for (var g = 0; g < G; g++)
                    {
                        if (gtm[t, g] > 0 && !iscrowd[g])
                        {
                            continue;
                        }

                        // Already matched to a regular gt and reached the ignored ones: stop.
                        if (m > -1 && !gtIg[m] && gtIg[g])
                        {
                            break;
                        }

                        var value = iousUnsorted[d, gtOrder[g]];
                        if (value < iou)
                        {
                            continue;
                        }

                        iou = value;
                        m = g;
                    }

                    if (m == -1)
                    {
                        continue;
                    }

                    dtIg[t, d] = gtIg[m];
                    dtm[t, d] = gtId[m];
                    gtm[t, m] = dt[d].Id;
                }
            }
        }

        // Unmatched detections outside the area range are ignored rather than false positives.
        for (var d = 0; d < D; d++)
        {
            var outside = dt[d].Area < range.Min || dt[d].Area > range.Max;
            if (!outside)
            {
                continue;
            }

            for (var t = 0; t < T; t++)
            {
                if (dtm[t, d] == 0)
                {
                    dtIg[t, d] = true;
                }
            }
        }

        return new EvalImg([.. dt.Select(x => x.Score)], dtm, dtIg, gtIg);
    }

    private static bool IsIgnored(CocoAnnotation gt, AreaRange range) =>
        gt.IsCrowd || gt.Area < range.Min || gt.Area > range.Max;

    private static (double[] Precision, double[] Recall) Accumulate(EvalImg?[] evalImgs, int K, int A, int I)
    {
        int T = IouThresholds.Length, R = RecallThresholds.Length, M = MaxDets.Length;
        var precision = new double[T * R * K * A * M];
        var recall = new double[T * K * A * M];
        Array.Fill(precision, -1.0);
        Array.Fill(recall, -1.0);

        for (var k = 0; k < K; k++)
        {
            for (var a = 0; a < A; a++)
            {
                var E = new List<EvalImg>();
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

                for (var m = 0; m < M; m++)
                {
                    var maxDet = MaxDets[m];

                    // Concatenate the first maxDet detections of every image, then a stable sort by score.
                    var entries = new List<(EvalImg Img, int Det)>();
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
                        continue;
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

                        recall[RecallIndex(t, k, a, m, K)] = nd > 0 ? rc[nd - 1] : 0;

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
                            var pi = SearchSortedLeft(rc, RecallThresholds[r]);
                            precision[PrecisionIndex(t, r, k, a, m, K)] = pi < nd ? pr[pi] : 0;
                        }
                    }
                }
            }
        }

        return (precision, recall);
    }

    private static double[] Summarize(double[] precision, double[] recall, int K)
    {
        var last = MaxDets.Length - 1;
        return
        [
            SummarizeAp(precision, K, null, 0, last),
            SummarizeAp(precision, K, 0.5, 0, last),
            SummarizeAp(precision, K, 0.75, 0, last),
            SummarizeAp(precision, K, null, 1, last),
            SummarizeAp(precision, K, null, 2, last),
            SummarizeAp(precision, K, null, 3, last),
            SummarizeAr(recall, K, 0, 0),
            SummarizeAr(recall, K, 0, 1),
            SummarizeAr(recall, K, 0, last),
            SummarizeAr(recall, K, 1, last),
            SummarizeAr(recall, K, 2, last),
            SummarizeAr(recall, K, 3, last),
        ];
    }

    private static double SummarizeAp(double[] precision, int K, double? iouThr, int a, int m)
    {
        var values = new List<double>();
        foreach (var t in ThresholdIndices(iouThr))
        {
            for (var r = 0; r < RecallThresholds.Length; r++)
            {
                for (var k = 0; k < K; k++)
                {
                    values.Add(precision[PrecisionIndex(t, r, k, a, m, K)]);
                }
            }
        }

        return MeanOfDefined(values);
    }

    private static double SummarizeAr(double[] recall, int K, int a, int m)
    {
        var values = new List<double>();
        for (var t = 0; t < IouThresholds.Length; t++)
        {
            for (var k = 0; k < K; k++)
            {
                values.Add(recall[RecallIndex(t, k, a, m, K)]);
            }
        }

        return MeanOfDefined(values);
    }

    /// <summary>np.where(iouThr == p.iouThrs): exact equality, as pycocotools does.</summary>
    private static IEnumerable<int> ThresholdIndices(double? iouThr) =>
        Enumerable.Range(0, IouThresholds.Length).Where(t => iouThr is not { } thr || IouThresholds[t] == thr);

    /// <summary>np.mean(s[s &gt; -1]), or -1 when nothing is defined.</summary>
    internal static double MeanOfDefined(List<double> values)
    {
        var defined = values.Where(v => v > -1).ToArray();
        return defined.Length == 0 ? -1 : (0.0 + PairwiseSum(defined)) / defined.Length;
    }

    /// <summary>numpy's pairwise summation (add.reduce on a contiguous float64 array), so means agree to the last bit.</summary>
    internal static double PairwiseSum(ReadOnlySpan<double> a)
    {
        const int blockSize = 128;
        var n = a.Length;
        if (n < 8)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += a[i];
            }

            return sum;
        }

        if (n <= blockSize)
        {
            Span<double> r = stackalloc double[8];
            a[..8].CopyTo(r);
            var i = 8;
            for (; i < n - (n % 8); i += 8)
            {
                for (var j = 0; j < 8; j++)
                {
                    r[j] += a[i + j];
                }
            }

            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++)
            {
                res += a[i];
            }

            return res;
        }

        var n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
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

    private static double[] Linspace(double start, double stop, int num)
    {
        var step = (stop - start) / (num - 1);
        var values = new double[num];
        for (var i = 0; i < num; i++)
        {
            values[i] = (i * step) + start;
        }

        values[^1] = stop;
        return values;
    }

    // precision[T, R, K, A, M] and recall[T, K, A, M], row-major as in numpy.
    private static int PrecisionIndex(int t, int r, int k, int a, int m, int K) =>
        (((((t * RecallThresholds.Length) + r) * K + k) * AreaRanges.Length) + a) * MaxDets.Length + m;

    private static int RecallIndex(int t, int k, int a, int m, int K) =>
        (((t * K) + k) * AreaRanges.Length + a) * MaxDets.Length + m;

    private static List<TValue> GetOrAdd<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        return list;
    }

    internal sealed record AreaRange(string Label, double Min, double Max);

    private sealed record Det(long Id, CocoBox Box, double Area, double Score);

    private sealed record EvalImg(double[] DtScores, long[,] DtMatches, bool[,] DtIgnore, bool[] GtIgnore);
}
