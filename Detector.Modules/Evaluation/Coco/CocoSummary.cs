namespace Detector.Modules.Evaluation.Coco;

/// <summary>
/// COCOeval.summarize: the twelve numbers (AP at IoU .5:.95, .5 and .75, AP by area, AR at 1, 10
/// and 100 detections, AR by area), each the mean of the defined entries of the accumulation, and
/// AP@[.5:.95] per category the same way.
/// </summary>
internal static class CocoSummary
{
    public static double[] Summarize(CocoAccumulation accumulation)
    {
        var last = CocoEvaluator.MaxDets.Length - 1;
        return
        [
            Ap(accumulation, null, 0, last),
            Ap(accumulation, 0.5, 0, last),
            Ap(accumulation, 0.75, 0, last),
            Ap(accumulation, null, 1, last),
            Ap(accumulation, null, 2, last),
            Ap(accumulation, null, 3, last),
            Ar(accumulation, 0, 0),
            Ar(accumulation, 0, 1),
            Ar(accumulation, 0, last),
            Ar(accumulation, 1, last),
            Ar(accumulation, 2, last),
            Ar(accumulation, 3, last),
        ];
    }

    /// <summary>AP@[.5:.95] of each category (area all, 100 detections), keyed by category id; -1 where undefined.</summary>
    public static Dictionary<int, double> PerCategoryAp(CocoAccumulation accumulation, int[] categoryIds)
    {
        var last = CocoEvaluator.MaxDets.Length - 1;
        var perCategory = new Dictionary<int, double>();
        for (var k = 0; k < categoryIds.Length; k++)
        {
            var values = new List<double>();
            for (var t = 0; t < CocoEvaluator.IouThresholds.Length; t++)
            {
                for (var r = 0; r < CocoEvaluator.RecallThresholds.Length; r++)
                {
                    values.Add(accumulation.Precision(t, r, k, 0, last));
                }
            }

            perCategory[categoryIds[k]] = CocoEvaluator.MeanOfDefined(values);
        }

        return perCategory;
    }

    private static double Ap(CocoAccumulation accumulation, double? iouThr, int a, int m)
    {
        var values = new List<double>();
        foreach (var t in ThresholdIndices(iouThr))
        {
            for (var r = 0; r < CocoEvaluator.RecallThresholds.Length; r++)
            {
                for (var k = 0; k < accumulation.Categories; k++)
                {
                    values.Add(accumulation.Precision(t, r, k, a, m));
                }
            }
        }

        return CocoEvaluator.MeanOfDefined(values);
    }

    private static double Ar(CocoAccumulation accumulation, int a, int m)
    {
        var values = new List<double>();
        for (var t = 0; t < CocoEvaluator.IouThresholds.Length; t++)
        {
            for (var k = 0; k < accumulation.Categories; k++)
            {
                values.Add(accumulation.Recall(t, k, a, m));
            }
        }

        return CocoEvaluator.MeanOfDefined(values);
    }

    /// <summary>np.where(iouThr == p.iouThrs): exact equality, as pycocotools does.</summary>
    private static IEnumerable<int> ThresholdIndices(double? iouThr) =>
        Enumerable.Range(0, CocoEvaluator.IouThresholds.Length).Where(t => iouThr is not { } thr || CocoEvaluator.IouThresholds[t] == thr);
}
