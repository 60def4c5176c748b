using System.Buffers.Binary;

namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>
/// BMP has no metadata blocks, but bytes appended after its pixels (and an embedded colour
/// profile) are carried along by every tool, so an upload could smuggle anything there. The end
/// is worked out from the headers, never from the file-size field (which the sender writes):
/// pixel data at bfOffBits, of the size its dimensions and bit depth give (or biSizeImage when
/// compressed), and a BITMAPV5 embedded profile wherever it lies. Everything after is dropped and
/// the file-size field set to match. A header that does not add up is left alone: the decoder
/// refuses it, and a refused upload is never stored.
/// </summary>
internal static class BmpMetadata
{
    private const uint EmbeddedProfile = 0x4D424544; // 'MBED', LCS_PROFILE_EMBEDDED

    public static int Strip(Span<byte> bmp)
    {
        if (End(bmp) is not { } end || end >= bmp.Length)
        {
            return bmp.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bmp[2..], (uint)end);
        return (int)end;
    }

    private static long? End(ReadOnlySpan<byte> bmp)
    {
        if (bmp.Length < 26)
        {
            return null;
        }

        long offBits = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        var dibSize = BinaryPrimitives.ReadUInt32LittleEndian(bmp[14..]);
        long width, height, bitCount;
        uint compression = 0;
        long sizeImage = 0;
        if (dibSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]);
            height = BinaryPrimitives.ReadInt16LittleEndian(bmp[20..]);
            bitCount = BinaryPrimitives.ReadUInt16LittleEndian(bmp[24..]);
        }
        else if (dibSize >= 40 && bmp.Length >= 54)
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(bmp[22..]);
            bitCount = BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(bmp[30..]);
            sizeImage = BinaryPrimitives.ReadUInt32LittleEndian(bmp[34..]);
        }
        else
        {
            return null;
        }

        if (width <= 0 || height == 0 || bitCount is 0 or > 64)
        {
            return null;
        }

        // Uncompressed rows (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS) are padded to 4 bytes; the rest say their size.
        var pixels = compression is 0 or 3 or 6
            ? (((width * bitCount) + 31) / 32) * 4 * Math.Abs(height)
            : sizeImage;
        if (pixels <= 0)
        {
            return null;
        }

        var end = offBits + pixels;
        if (dibSize >= 124 && bmp.Length >= 14 + 124 && BinaryPrimitives.ReadUInt32LittleEndian(bmp[(14 + 56)..]) == EmbeddedProfile)
        {
            // The profile's offset counts from the start of the info header.
            var profileEnd = 14L + BinaryPrimitives.ReadUInt32LittleEndian(bmp[(14 + 112)..]) + BinaryPrimitives.ReadUInt32LittleEndian(bmp[(14 + 116)..]);
            end = Math.Max(end, profileEnd);
        }

        return end;
    }
}
