namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>
/// GIF: keeps the screen, colour tables, images, graphic control and plain-text blocks and the
/// looping extension (NETSCAPE2.0 / ANIMEXTS1.0); drops comments and every other application
/// extension (XMP, for one), and anything after the trailer.
/// </summary>
internal static class GifMetadata
{
    public static int Strip(Span<byte> gif)
    {
        if (gif.Length < 13)
        {
            throw new MalformedImageException(0);
        }

        var read = 13 + ColorTableLength(gif[10]);
        if (read > gif.Length)
        {
            throw new MalformedImageException(0);
        }

        var write = read;
        while (read < gif.Length)
        {
            var start = read;
            switch (gif[read])
            {
                case 0x3B: // trailer
                    gif[write] = 0x3B;
                    return write + 1;
                case 0x21 when read + 2 < gif.Length:
                    var label = gif[read + 1];
                    read = SkipSubBlocks(gif, read + 2, write);
                    if (label is not (0xFE or 0xFF) || (label == 0xFF && IsLooping(gif[(start + 2)..read])))
                    {
                        write = MetadataStripper.Keep(gif, start, read, write);
                    }

                    break;
                case 0x2C when read + 10 <= gif.Length:
                    read += 10 + ColorTableLength(gif[read + 9]);
                    read = SkipSubBlocks(gif, read + 1, write); // after the LZW minimum code size
                    write = MetadataStripper.Keep(gif, start, read, write);
                    break;
                default:
                    throw new MalformedImageException(write);
            }
        }

        throw new MalformedImageException(write); // no trailer
    }

    private static int ColorTableLength(byte packed) => (packed & 0x80) != 0 ? 3 << ((packed & 0x07) + 1) : 0;

    /// <summary>The index after a run of data sub-blocks and its terminator.</summary>
    private static int SkipSubBlocks(ReadOnlySpan<byte> gif, int at, int written)
    {
        while (true)
        {
            if (at >= gif.Length)
            {
                throw new MalformedImageException(written);
            }

            var size = gif[at];
            at += 1 + size;
            if (size == 0)
            {
                return at;
            }
        }
    }

    private static bool IsLooping(ReadOnlySpan<byte> block) =>
        block.Length >= 12 && block[0] == 11 && (block[1..12].SequenceEqual("NETSCAPE2.0"u8) || block[1..12].SequenceEqual("ANIMEXTS1.0"u8));
}
