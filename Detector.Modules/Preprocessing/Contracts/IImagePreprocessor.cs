namespace Detector.Modules.Preprocessing.Contracts;

/// <summary>What the header of an image says, read without decoding pixels.</summary>
public sealed record ImageHeader(string Format, int Width, int Height, int Orientation);

/// <summary>
/// Decodes, orients, resizes and normalises one image into a model's input tensor.
/// Rejections throw <see cref="Detector.Modules.Common.DomainException"/> with a stable code:
/// 415 unsupported format, 422 corrupt or truncated data, 413 too many pixels.
/// </summary>
public interface IImagePreprocessor
{
    /// <summary>Sniffs the format and reads dimensions from the header; refuses before any pixel allocation.</summary>
    ImageHeader Inspect(ReadOnlySpan<byte> encoded);

    /// <summary>
    /// Writes the CHW float tensor for <paramref name="spec"/> into <paramref name="destination"/>
    /// (length 3 * spec.Width * spec.Height) and returns how to map boxes back to the original image.
    /// </summary>
    PreprocessedImage Preprocess(ReadOnlyMemory<byte> encoded, PreprocessSpec spec, Span<float> destination);
}

/// <param name="Header">What the header said; sizes are of the oriented image.</param>
/// <param name="Transform">Maps model-input pixels back to the oriented original image.</param>
/// <param name="DecodeMs">Wall time of the whole call: decode, orientation, resize and normalisation.</param>
public readonly record struct PreprocessedImage(ImageHeader Header, InputTransform Transform, double DecodeMs);
