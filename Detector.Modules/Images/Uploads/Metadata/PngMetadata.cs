using System.Buffers.Binary;

namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>
/// PNG: keeps the critical chunks and those that shape pixels or colour (transparency, gamma,
/// chromaticities, sRGB, ICC, significant bits, background, pixel size, animation, HDR); drops
/// text (tEXt, zTXt, iTXt), times, EXIF (eXIf) and every private chunk, and anything after IEND.
/// An eXIf orientation other than 1 is written back as an eXIf holding only it.
/// </summary>
internal static class PngMetadata
{
    private static readonly HashSet<uint> Kept = [.. new[] { "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "acTL", "fcTL", "fdAT", "cICP", "mDCV", "cLLI" }
        .Select(t => BinaryPrimitives.ReadUInt32BigEndian(System.Text.Encoding.ASCII.GetBytes(t)))];

    private static readonly uint[] CrcTable = BuildCrcTable();

    public static int Strip(Span<byte> png)
    {
        var read = 8;
        var write = 8;
        while (read + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[read..]);
            if (length > int.MaxValue - 12 || read + 12 + (long)length > png.Length)
            {
                throw new MalformedImageException(write);
            }

            var end = read + 12 + (int)length;
            var type = png.Slice(read + 4, 4);
            if (Kept.Contains(BinaryPrimitives.ReadUInt32BigEndian(type)))
            {
                write = MetadataStripper.Keep(png, read, end, write);
                if (type.SequenceEqual("IEND"u8))
                {
                    return write;
                }
            }
            else if (type.SequenceEqual("eXIf"u8) && ExifOrientation.Read(png.Slice(read + 8, (int)length)) is var orientation and > 0
                && write + 12 + ExifOrientation.TiffLength <= end)
            {
                BinaryPrimitives.WriteUInt32BigEndian(png[write..], ExifOrientation.TiffLength);
                "eXIf"u8.CopyTo(png[(write + 4)..]);
                ExifOrientation.WriteTiff(png[(write + 8)..], orientation);
                BinaryPrimitives.WriteUInt32BigEndian(png[(write + 8 + ExifOrientation.TiffLength)..], Crc(png.Slice(write + 4, 4 + ExifOrientation.TiffLength)));
                write += 12 + ExifOrientation.TiffLength;
            }

            read = end;
        }

        throw new MalformedImageException(write); // no IEND
    }

    /// <summary>The PNG chunk CRC (ISO 3309 CRC-32 over type and data).</summary>
    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
