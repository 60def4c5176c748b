namespace Detector.Modules.Preprocessing.Contracts;

/// <summary>One box to draw, in pixels of the oriented photo: [x1, y1, x2, y2], as results give them.</summary>
public sealed record AnnotationBox(string Label, int ClassId, float Score, float X1, float Y1, float X2, float Y2);

public enum AnnotatedFormat
{
    Jpeg,
    Png,
}

/// <summary>
/// Draws a result's boxes, labels and scores over its photo, for people to see what was detected
/// (<c>GET /v1/results/{id}/annotated.jpg</c>). Here because pixels are decoded in this module only.
/// </summary>
public interface IImageAnnotator
{
    /// <summary>
    /// The photo with its EXIF orientation applied (as detection applied it), scaled down so its
    /// longer side is at most <paramref name="maxSide"/> when given, with each box in its class's
    /// colour. Throws <see cref="InvalidDataException"/> when the photo cannot be decoded.
    /// </summary>
    byte[] Annotate(byte[] encoded, IReadOnlyList<AnnotationBox> boxes, int? maxSide, AnnotatedFormat format);
}
