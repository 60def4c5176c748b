namespace Detector.Modules.Evaluation.Coco;

/// <summary>
/// COCOeval.computeIoU and evaluateImg for one (image, category): detections sorted by score and
/// cut at 100, their IoU with the ground truth, then, per IoU threshold, the greedy match of each
/// detection to the best still-free ground truth, regular ones before ignored ones.
/// </summary>
internal static class CocoMatching
{
    /// <summary>np.argsort(-score, kind='mergesort')[:maxDet]: stable, so equal scores keep input order.</summary>
    public static Det[] SortByScoreDescending(List<Det> dt, int maxDet) =>
        [.. dt.OrderBy(d => -d.Score).Take(maxDet)];

    /// <summary>maskApi.c bbIou: ious[d, g]; a crowd ground truth divides by the detection's area only.</summary>
    public static double[,] ComputeIou(Det[] dt, List<CocoAnnotation> gt)
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

    public static EvalImg EvaluateImg(List<CocoAnnotation> gtUnsorted, Det[] dt, double[,] iousUnsorted, CocoEvaluator.AreaRange range)
    {
        // Ground truth: ignored (crowd, or area outside the range) last, otherwise file order.
        var gtOrder = Enumerable.Range(0, gtUnsorted.Count)
            .OrderBy(g => IsIgnored(gtUnsorted[g], range) ? 1 : 0)
            .ToArray();
        var G = gtOrder.Length;
        var D = dt.Length;
        var T = CocoEvaluator.IouThresholds.Length;
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
                    var iou = Math.Min(CocoEvaluator.IouThresholds[t], 1 - 1e-10);
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

    private static bool IsIgnored(CocoAnnotation gt, CocoEvaluator.AreaRange range) =>
        gt.IsCrowd || gt.Area < range.Min || gt.Area > range.Max;

    /// <summary>A detection as loadRes makes it: ids 1..n in file order, area w*h.</summary>
    internal sealed record Det(long Id, CocoBox Box, double Area, double Score);

    /// <summary>evaluateImg's result: per threshold, the gt id each detection matched (0: none) and whether it is ignored.</summary>
    internal sealed record EvalImg(double[] DtScores, long[,] DtMatches, bool[,] DtIgnore, bool[] GtIgnore);
}
