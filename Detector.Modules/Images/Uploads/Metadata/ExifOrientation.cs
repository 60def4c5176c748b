using System.Buffers.Binary;

namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>Reads the orientation from a TIFF-structured EXIF block and writes one holding only it.</summary>
internal static class ExifOrientation
{
    /// <summary>Bytes of <see cref="WriteTiff"/>: header 8, entry count 2, one entry 12, next-IFD offset 4.</summary>
    public const int TiffLength = 26;

    /// <summary>The orientation (2 to 8) of IFD0, or 0 when absent, 1 (normal) or unreadable.</summary>
    public static int Read(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return 0;
        }

        var big = tiff[0] == (byte)'M';
        if (!(tiff[0] == tiff[1] && (tiff[0] == (byte)'M' || tiff[0] == (byte)'I')))
        {
            return 0;
        }

        var offset = U32(tiff[4..], big);
        if (offset < 8 || (long)offset + 2 > tiff.Length)
        {
            return 0;
        }

        var ifd = (int)offset;

        var count = U16(tiff[ifd..], big);
        for (var i = 0; i < count; i++)
        {
            var entry = ifd + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
            {
                return 0;
            }

            if (U16(tiff[entry..], big) == 0x0112 && U16(tiff[(entry + 2)..], big) == 3)
            {
                var value = U16(tiff[(entry + 8)..], big);
                return value is >= 2 and <= 8 ? value : 0;
            }
        }

        return 0;
    }

    /// <summary>A big-endian TIFF block whose IFD0 holds one entry: Orientation = <paramref name="orientation"/>.</summary>
    public static void WriteTiff(Span<byte> target, int orientation)
    {
        ReadOnlySpan<byte> header = [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1];
        header.CopyTo(target);
        BinaryPrimitives.WriteUInt16BigEndian(target[18..], (ushort)orientation);
        target[20..26].Clear(); // value padding and the next-IFD offset (none)
    }

    private static int U16(ReadOnlySpan<byte> b, bool big) => big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private static uint U32(ReadOnlySpan<byte> b, bool big) => big ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
}
