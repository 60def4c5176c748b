namespace Detector.Modules.Preprocessing.Contracts;

public enum ColorOrder
{
    Rgb,
    Bgr,
}

public enum ResizeMode
{
    /// <summary>Stretch to the input size; each axis scaled on its own.</summary>
    Stretch,

    /// <summary>Keep aspect ratio, image at the top-left, padding right and bottom.</summary>
    LetterboxTopLeft,

    /// <summary>Keep aspect ratio, image centred, padding split on both sides.</summary>
    LetterboxCentered,
}

/// <summary>
/// One model's input contract as data: the single tensor writer reads it, so a new model of a
/// known family needs a manifest, not code. Mean and Std are per channel in tensor channel order
/// and on the 0..255 scale: value = (pixel - Mean[c]) / Std[c]. PadValue is a pixel value (0..255)
/// that is normalised like any other pixel.
/// </summary>
public sealed record PreprocessSpec(
    int Width,
    int Height,
    ColorOrder ColorOrder,
    ResizeMode ResizeMode,
    float PadValue,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std);

/// <summary>
/// Maps a point in model-input pixels back to the oriented original image:
/// x_original = (x_input - OffsetX) / ScaleX, likewise for y. It folds in any scaled decode,
/// so callers never see the decoded size.
/// </summary>
public readonly record struct InputTransform(float ScaleX, float ScaleY, float OffsetX, float OffsetY, int OriginalWidth, int OriginalHeight)
{
    public float ToOriginalX(float x) => Math.Clamp((x - OffsetX) / ScaleX, 0f, OriginalWidth);

    public float ToOriginalY(float y) => Math.Clamp((y - OffsetY) / ScaleY, 0f, OriginalHeight);
}
