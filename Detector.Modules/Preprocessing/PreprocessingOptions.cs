using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Preprocessing;

internal sealed class PreprocessingOptions
{
    public const string SectionName = "Preprocessing";

    /// <summary>
    /// Largest oriented width*height accepted, checked from the header before any pixel buffer exists.
    /// The ceiling keeps a full RGBA decode under 2 GiB, which Skia's 32-bit sizes need.
    /// </summary>
    [Range(1, 500_000_000)]
    public int MaxPixels { get; set; } = 50_000_000;

    /// <summary>
    /// Let libjpeg decode JPEGs at 1/8..8/8 scale when the model input is smaller than the photo.
    /// Off gives a full decode plus one bilinear resize (the reference pipeline, bit for bit);
    /// on makes large photos several times cheaper at a small change in the resized pixels.
    /// </summary>
    public bool ScaledJpegDecode { get; set; } = true;
}
