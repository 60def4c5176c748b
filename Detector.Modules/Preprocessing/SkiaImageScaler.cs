using Detector.Modules.Preprocessing.Contracts;
using SkiaSharp;

namespace Detector.Modules.Preprocessing;

/// <summary>Skia's decode, bilinear resize and JPEG encoder; stateless.</summary>
internal sealed class SkiaImageScaler : IImageScaler
{
    public byte[] Scale(byte[] encoded, double factor)
    {
        using var source = SKBitmap.Decode(encoded)
            ?? throw new InvalidDataException("The image could not be decoded for scaling.");
        var width = Math.Max(1, (int)Math.Round(source.Width * factor));
        var height = Math.Max(1, (int)Math.Round(source.Height * factor));
        using var resized = source.Resize(new SKImageInfo(width, height, source.ColorType, source.AlphaType), new SKSamplingOptions(SKFilterMode.Linear))
            ?? throw new InvalidDataException("The image could not be resized.");
        using var data = resized.Encode(SKEncodedImageFormat.Jpeg, 95)
            ?? throw new InvalidDataException("The scaled image could not be encoded.");
        return data.ToArray();
    }
}
