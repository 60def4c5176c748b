using System.Buffers.Binary;
using Detector.Modules.Common;

namespace Detector.Modules.Preprocessing;

/// <summary>
/// Decides the format from magic bytes, never from a file name or Content-Type, so only the five
/// formats we test reach a decoder (Skia would also open ICO, WBMP and others we never vetted).
/// </summary>
internal static class ImageFormatSniffer
{
    public const string Jpeg = "jpeg";
    public const string Png = "png";
    public const string WebP = "webp";
    public const string Gif = "gif";
    public const string Bmp = "bmp";

    public static string Sniff(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.EmptyBody, "Empty image", "The request carried no image bytes.");
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Jpeg;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Png;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return WebP;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return Gif;
        }

        // "BM" alone is two printable letters; the DIB header size (offset 14) pins it to a real BMP.
        if (data.Length >= 18 && data.StartsWith("BM"u8) && IsKnownDibHeaderSize(BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(14, 4))))
        {
            return Bmp;
        }

        throw new DomainException(
            OutcomeKind.UnsupportedMediaType,
            ErrorCodes.UnsupportedImageFormat,
            "Unsupported image format",
            "Supported formats are JPEG, PNG, WebP, GIF and BMP.");
    }

    private static bool IsKnownDibHeaderSize(uint size) => size is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124;
}
