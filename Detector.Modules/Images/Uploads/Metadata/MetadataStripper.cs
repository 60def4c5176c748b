namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>
/// Removes what a photo says about its owner before anything is stored or decoded: EXIF (camera,
/// GPS, times, serial numbers, thumbnails), XMP, IPTC, comments, text chunks, and data appended
/// after the image (motion-photo videos). The EXIF orientation is kept, as the only tag, so the
/// image still displays and detects the same. Pixels and colour profiles are untouched: the
/// image is edited by removing segments, never re-encoded. Works in place (the result is never
/// longer), so stripping an upload costs no buffer. Formats it does not know are left as they
/// are: the service cannot decode them either, so their items fail with unsupported_image_format.
/// </summary>
internal static class MetadataStripper
{
    /// <summary>
    /// Keeps <c>image[from..end]</c> at <paramref name="write"/> and returns the position after it.
    /// Until something is removed the bytes are already in place, so most of a photo (its scan
    /// data) is never copied.
    /// </summary>
    public static int Keep(Span<byte> image, int from, int end, int write)
    {
        if (from != write)
        {
            image[from..end].CopyTo(image[write..]);
        }

        return write + (end - from);
    }

    /// <summary>Strips <paramref name="image"/> in place; returns its new length.</summary>
    public static int Strip(Span<byte> image)
    {
        try
        {
            return image switch
            {
                [0xFF, 0xD8, 0xFF, ..] => JpegMetadata.Strip(image),
                [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => PngMetadata.Strip(image),
                [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => WebpMetadata.Strip(image),
                [(byte)'G', (byte)'I', (byte)'F', (byte)'8', _, (byte)'a', ..] => GifMetadata.Strip(image),
                [(byte)'B', (byte)'M', ..] => BmpMetadata.Strip(image),
                _ => image.Length,
            };
        }
        catch (MalformedImageException ex)
        {
            // A structure broken part-way: keep what was walked and stripped before the damage and
            // drop the rest, which could hold anything. Decoding then refuses it (corrupt_image).
            return ex.ValidLength;
        }
    }
}

/// <summary>The container structure ends or points outside the image; <see cref="ValidLength"/> bytes were stripped before.</summary>
internal sealed class MalformedImageException(int validLength) : Exception("The image's container structure is malformed.")
{
    public int ValidLength { get; } = validLength;
}
