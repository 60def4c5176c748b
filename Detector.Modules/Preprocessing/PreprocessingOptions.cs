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
    /// Let libjpeg decode a JPEG at 1/8..1/2 scale when it is at least twice the size it is resized to.
    /// Off always decodes fully before the bilinear resize (the reference pipeline); on makes a
    /// 12 MP photo about 8x cheaper at a small change in the resized pixels. Photos under twice
    /// the input size (all of COCO) decode fully either way.
    /// </summary>
    public bool ScaledJpegDecode { get; set; } = true;

    /// <summary>
    /// Most scans a progressive JPEG may have (its decode cost is pixels x scans, and libjpeg cannot
    /// be stopped midway). Encoders write about 10; 64 leaves room and refuses the crafted ones.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxJpegScans { get; set; } = 64;

    /// <summary>JPEG quality of annotated images (GET /v1/results/{id}/annotated.jpg): for people to look at, not to detect on again.</summary>
    [Range(1, 100)]
    public int AnnotatedJpegQuality { get; set; } = 90;
}
