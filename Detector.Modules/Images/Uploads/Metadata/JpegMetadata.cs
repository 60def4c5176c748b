using System.Buffers.Binary;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>
/// JPEG: keeps the segments decoding needs (frame, tables, scans, restart intervals), the JFIF
/// header (APP0), ICC profiles (APP2 "ICC_PROFILE") and Adobe's colour transform (APP14); drops
/// every other APPn (EXIF and XMP in APP1, multi-picture data in APP2, IPTC in APP13 ...) and
/// comments, and everything after the end-of-image marker. An EXIF orientation other than 1 is
/// written back as a minimal APP1 holding only it, where the original EXIF was.
/// </summary>
internal static class JpegMetadata
{
    public static int Strip(Span<byte> jpeg)
    {
        // The decoder's own walk (Preprocessing), so what is kept and dropped is what the decoder
        // would read as such. The walker reads only past the part it returned; the writes below
        // stay before it.
        var write = 2;
        var walker = new JpegMarkerWalker(jpeg);
        while (walker.MoveNext())
        {
            var part = walker.Current;
            switch (part.Kind)
            {
                case JpegPartKind.Fill:
                    continue; // dropped: fill bytes carry nothing
                case JpegPartKind.Stray or JpegPartKind.Truncated:
                    throw Damaged(jpeg, part.Start, write);
                case JpegPartKind.ScanData:
                    write = MetadataStripper.Keep(jpeg, part.Start, part.End, write); // a scan cut short is kept as it is; decoding reports the damage
                    continue;
                case JpegPartKind.Marker when part.Marker == JpegMarkers.Eoi:
                    jpeg.Slice(part.Start, 2).CopyTo(jpeg[write..]);
                    return write + 2; // anything after the image (a motion photo's video, say) is dropped
                case JpegPartKind.Marker:
                    write = MetadataStripper.Keep(jpeg, part.Start, part.End, write);
                    continue;
            }

            var payload = jpeg[part.PayloadStart..part.End];
            if (Keeps(part.Marker, payload))
            {
                write = MetadataStripper.Keep(jpeg, part.Start, part.End, write);
            }
            else if (part.Marker == JpegMarkers.App1 && payload.StartsWith("Exif\0\0"u8) && ExifOrientation.Read(payload[6..]) is var orientation and > 0
                && write + OrientationSegmentLength <= part.End)
            {
                // Written over bytes already read (write <= read): a well-formed EXIF holding the entry is at least this long.
                write += WriteOrientationSegment(jpeg[write..], orientation);
            }
        }

        return write;
    }

    /// <summary>
    /// Cuts the image at the damage, keeping the marker found there, so it still reads as a
    /// (corrupt) JPEG rather than as an unknown format; whatever follows could be metadata.
    /// </summary>
    private static MalformedImageException Damaged(Span<byte> jpeg, int read, int write)
    {
        var keep = Math.Min(2, jpeg.Length - read);
        jpeg.Slice(read, keep).CopyTo(jpeg[write..]);
        return new MalformedImageException(write + keep);
    }

    private static bool Keeps(byte marker, ReadOnlySpan<byte> payload) => marker switch
    {
        JpegMarkers.App0 => payload.StartsWith("JFIF\0"u8),
        JpegMarkers.App2 => payload.StartsWith("ICC_PROFILE\0"u8),
        JpegMarkers.App14 => payload.StartsWith("Adobe"u8),
        JpegMarkers.Com => false,
        >= JpegMarkers.App0 and <= JpegMarkers.App15 => false,
        _ => true,
    };

    private const int OrientationSegmentLength = 2 + 2 + 6 + ExifOrientation.TiffLength;

    private static int WriteOrientationSegment(Span<byte> target, int orientation)
    {
        target[0] = 0xFF;
        target[1] = JpegMarkers.App1;
        BinaryPrimitives.WriteUInt16BigEndian(target[2..], OrientationSegmentLength - 2);
        "Exif\0\0"u8.CopyTo(target[4..]);
        ExifOrientation.WriteTiff(target[10..], orientation);
        return OrientationSegmentLength;
    }
}
