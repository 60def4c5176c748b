using Detector.Modules.Evaluation.Coco;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>Box overlap and the ground truth of one image by class, for the report's own matchings (COCO's is per area range and IoU threshold).</summary>
internal static class ReportMatching
{
    public const double Iou = 0.5;

    public static double IouOf(CocoBox a, CocoBox b)
    {
        var w = Math.Min(a.X + a.Width, b.X + b.Width) - Math.Max(a.X, b.X);
        var h = Math.Min(a.Y + a.Height, b.Y + b.Height) - Math.Max(a.Y, b.Y);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var inter = w * h;
        return inter / ((a.Width * a.Height) + (b.Width * b.Height) - inter);
    }

    /// <summary>Non-crowd ground truth by image (crowd regions are neither hits nor misses here).</summary>
    public static ILookup<long, CocoAnnotation> GroundTruthByImage(CocoDataset dataset) =>
        dataset.Annotations.Where(a => !a.IsCrowd).ToLookup(a => a.ImageId);
}
