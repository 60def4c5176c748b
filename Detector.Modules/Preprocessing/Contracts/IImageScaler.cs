namespace Detector.Modules.Preprocessing.Contracts;

/// <summary>
/// Re-encodes a photo at another size, for scoring a model on larger photos than a dataset holds
/// (the evaluation's scale). Not on the request path: requests are only ever decoded
/// (<see cref="IImagePreprocessor"/>). Here because pixels are decoded in this module only.
/// </summary>
public interface IImageScaler
{
    /// <summary>
    /// The photo <paramref name="factor"/> times larger (bilinear, JPEG q95). The output carries no
    /// EXIF, so a source with an orientation tag comes out unrotated. Throws
    /// <see cref="InvalidDataException"/> when it cannot be decoded, resized or encoded.
    /// </summary>
    byte[] Scale(byte[] encoded, double factor);
}
