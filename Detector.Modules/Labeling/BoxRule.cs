namespace Detector.Modules.Labeling;

/// <summary>
/// What a box in image pixels must be, wherever one is submitted (feedback, a label set, a
/// review): x and y of 0 or more, a positive width and height, all finite.
/// </summary>
internal static class BoxRule
{
    public static bool Holds(double x, double y, double width, double height) =>
        x >= 0 && y >= 0 && width > 0 && height > 0 && double.IsFinite(x + y + width + height);
}
