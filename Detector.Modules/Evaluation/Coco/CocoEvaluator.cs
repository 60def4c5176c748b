namespace Detector.Modules.Evaluation.Coco;

/// <summary>The twelve COCOeval.summarize() numbers in their usual order, plus AP@[.5:.95] per category.</summary>
internal sealed record CocoEvaluation(double[] Stats, IReadOnlyDictionary<int, double> PerCategoryAp, int ImageCount, int DetectionCount, CocoAccumulation Accumulation, int[] CategoryIds)
{
    public const int StatCount = 12;
}

/// <summary>
/// pycocotools COCOeval for iouType 'bbox', ported line for line so that the numbers match
/// pycocotools on the same inputs, quirks included: matching is done once with 100 detections and
/// then truncated for maxDets 1 and 10, crowd IoU divides by the detection area, areas use plain
/// w*h, and ties keep input order (mergesort). Its parts are pycocotools' own: this class holds
/// the parameters, _prepare and evaluate, and numpy's arithmetic where the last bit matters;
/// <see cref="CocoMatching"/> is evaluateImg, <see cref="CocoAccumulation"/> accumulate and
/// <see cref="CocoSummary"/> summarize.
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

        var dts = new Dictionary<(int Img, int Cat), List<CocoMatching.Det>>();
        var detectionCount = 0;
        for (var n = 0; n < detections.Count; n++)
        {
            var d = detections[n];
            if (imgIndex.TryGetValue(d.ImageId, out var i) && catIndex.TryGetValue(d.CategoryId, out var k))
            {
                GetOrAdd(dts, (i, k)).Add(new CocoMatching.Det(n + 1, d.Box, d.Box.Width * d.Box.Height, d.Score));
                detectionCount++;
            }
        }

        // evaluate: every (category, image) with something in it, matched once per area range.
        var maxDet = MaxDets[^1];
        int I = imgIds.Length, K = catIds.Length, A = AreaRanges.Length;
        var evalImgs = new CocoMatching.EvalImg?[K * A * I];
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

                var sortedDt = CocoMatching.SortByScoreDescending(dt, maxDet);
                var ious = CocoMatching.ComputeIou(sortedDt, gt);
                for (var a = 0; a < A; a++)
                {
                    evalImgs[(k * A + a) * I + i] = CocoMatching.EvaluateImg(gt, sortedDt, ious, AreaRanges[a]);
                }
            }
        }

        var accumulation = CocoAccumulation.Accumulate(evalImgs, K, A, I);
        var stats = CocoSummary.Summarize(accumulation);
        var perCategory = CocoSummary.PerCategoryAp(accumulation, catIds);
        return new CocoEvaluation(stats, perCategory, imgIds.Length, detectionCount, accumulation, catIds);
    }

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
}
