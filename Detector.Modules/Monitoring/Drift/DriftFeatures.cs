namespace Detector.Modules.Monitoring.Drift;

/// <summary>
/// The features drift is measured on, each with fixed bins so a baseline and a window compare
/// bin by bin. Per request: detections per image, megapixels, aspect ratio (a landscape photo
/// sent unrotated reads as portrait), brightness. Per detection: score and class.
/// </summary>
internal static class DriftFeatures
{
    public const string Score = "score";
    public const string Detections = "detections_per_image";
    public const string Classes = "class_mix";
    public const string Megapixels = "image_megapixels";
    public const string Aspect = "aspect_ratio";
    public const string Brightness = "brightness";

    public const int ClassBins = 100;

    private static readonly double[] DetectionEdges = [1, 2, 3, 4, 6, 9, 13, 21];
    private static readonly double[] MegapixelEdges = [0.1, 0.3, 0.5, 1, 2, 4, 8, 16];
    private static readonly double[] AspectEdges = [0.5, 0.67, 0.8, 0.95, 1.05, 1.25, 1.5, 2];

    public static readonly (string Name, int Bins)[] All =
    [
        (Score, 10), (Detections, DetectionEdges.Length + 1), (Classes, ClassBins),
        (Megapixels, MegapixelEdges.Length + 1), (Aspect, AspectEdges.Length + 1), (Brightness, 16),
    ];

    public static int ScoreBin(float score) => Math.Clamp((int)(score * 10), 0, 9);

    public static int ClassBin(int classId) => Math.Clamp(classId, 0, ClassBins - 1);

    public static int DetectionsBin(int count) => Edge(DetectionEdges, count);

    public static int MegapixelsBin(int width, int height) => Edge(MegapixelEdges, width * (double)height / 1e6);

    public static int AspectBin(int width, int height) => Edge(AspectEdges, height == 0 ? 1 : width / (double)height);

    public static int BrightnessBin(double brightness) => Math.Clamp((int)(brightness / 16), 0, 15);

    /// <summary>The index of the first edge above <paramref name="value"/> (bins are [edge(i-1), edge(i))).</summary>
    private static int Edge(double[] edges, double value)
    {
        var i = 0;
        while (i < edges.Length && value >= edges[i])
        {
            i++;
        }

        return i;
    }
}
