using System.Buffers.Binary;

namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>
/// WebP (RIFF): keeps the image, alpha, animation and ICC chunks; drops XMP, EXIF and unknown
/// chunks and anything past the RIFF size. An EXIF orientation other than 1 is written back as an
/// EXIF chunk holding only it. The extended header's EXIF and XMP flags and the RIFF size follow.
/// </summary>
internal static class WebpMetadata
{
    private const byte ExifFlag = 0x08;
    private const byte XmpFlag = 0x04;
    private static readonly HashSet<uint> Kept = [.. new[] { "VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP" }
        .Select(t => BinaryPrimitives.ReadUInt32BigEndian(System.Text.Encoding.ASCII.GetBytes(t)))];

    public static int Strip(Span<byte> webp)
    {
        var riffEnd = (long)BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]) + 8;
        var limit = (int)Math.Min(riffEnd, webp.Length);
        var read = 12;
        var write = 12;
        var extendedHeader = -1;
        var keptExif = false;
        while (read + 8 <= limit)
        {
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp[(read + 4)..]);
            var end = read + 8 + size + (size & 1);
            if (end > limit)
            {
                throw new MalformedImageException(Finish(webp, write, extendedHeader, keptExif));
            }

            var fourcc = BinaryPrimitives.ReadUInt32BigEndian(webp[read..]);
            if (Kept.Contains(fourcc))
            {
                if (webp.Slice(read, 4).SequenceEqual("VP8X"u8))
                {
                    extendedHeader = write;
                }

                write = MetadataStripper.Keep(webp, read, (int)end, write);
            }
            else if (webp.Slice(read, 4).SequenceEqual("EXIF"u8) && ExifOrientation.Read(Tiff(webp.Slice(read + 8, (int)size))) is var orientation and > 0
                && write + 8 + ExifOrientation.TiffLength <= end)
            {
                "EXIF"u8.CopyTo(webp[write..]);
                BinaryPrimitives.WriteUInt32LittleEndian(webp[(write + 4)..], ExifOrientation.TiffLength);
                ExifOrientation.WriteTiff(webp[(write + 8)..], orientation);
                write += 8 + ExifOrientation.TiffLength;
                keptExif = true;
            }

            read = (int)end;
        }

        return Finish(webp, write, extendedHeader, keptExif);
    }

    private static int Finish(Span<byte> webp, int write, int extendedHeader, bool keptExif)
    {
        if (extendedHeader >= 0)
        {
            var flags = (byte)(webp[extendedHeader + 8] & ~(ExifFlag | XmpFlag));
            webp[extendedHeader + 8] = keptExif ? (byte)(flags | ExifFlag) : flags;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(webp[4..], (uint)(write - 8));
        return write;
    }

    /// <summary>Some writers put the JPEG-style "Exif\0\0" before the TIFF block.</summary>
    private static ReadOnlySpan<byte> Tiff(ReadOnlySpan<byte> exif) => exif.StartsWith("Exif\0\0"u8) ? exif[6..] : exif;
}
