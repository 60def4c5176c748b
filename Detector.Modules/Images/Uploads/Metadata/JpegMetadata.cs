using System.Buffers.Binary;

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
    private const byte Sos = 0xDA;
    private const byte Eoi = 0xD9;
    private const byte App0 = 0xE0;
    private const byte App1 = 0xE1;
    private const byte App2 = 0xE2;
    private const byte App14 = 0xEE;
    private const byte Com = 0xFE;

    public static int Strip(Span<byte> jpeg)
    {
        var read = 2;
        var write = 2;
        while (read < jpeg.Length)
        {
            if (jpeg[read] != 0xFF || read + 1 >= jpeg.Length)
            {
                throw Damaged(jpeg, read, write);
            }

            var marker = jpeg[read + 1];
            if (marker == 0xFF)
            {
                read++; // fill byte
                continue;
            }

            if (marker == Eoi)
            {
                jpeg.Slice(read, 2).CopyTo(jpeg[write..]);
                return write + 2; // anything after the image (a motion photo's video, say) is dropped
            }

            if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
            {
                jpeg.Slice(read, 2).CopyTo(jpeg[write..]);
                read += 2;
                write += 2;
                continue;
            }

            if (read + 4 > jpeg.Length)
            {
                throw Damaged(jpeg, read, write);
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(read + 2)..]);
            var end = read + 2 + length;
            if (length < 2 || end > jpeg.Length)
            {
                throw Damaged(jpeg, read, write);
            }

            var payload = jpeg[(read + 4)..end];
            if (Keeps(marker, payload))
            {
                write = MetadataStripper.Keep(jpeg, read, end, write);
            }
            else if (marker == App1 && payload.StartsWith("Exif\0\0"u8) && ExifOrientation.Read(payload[6..]) is var orientation and > 0
                && write + OrientationSegmentLength <= end)
            {
                // Written over bytes already read (write <= read): a well-formed EXIF holding the entry is at least this long.
                write += WriteOrientationSegment(jpeg[write..], orientation);
            }

            read = end;
            if (marker == Sos)
            {
                // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
                var data = read;
                while (true)
                {
                    var ff = jpeg[read..].IndexOf((byte)0xFF);
                    if (ff < 0 || read + ff + 1 >= jpeg.Length)
                    {
                        // Truncated scan: keep it as it is; decoding reports the damage.
                        return MetadataStripper.Keep(jpeg, data, jpeg.Length, write);
                    }

                    read += ff + 1;
                    if (jpeg[read] is not (0x00 or (>= 0xD0 and <= 0xD7) or 0xFF))
                    {
                        read--;
                        break;
                    }
                }

                write = MetadataStripper.Keep(jpeg, data, read, write);
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
        App0 => payload.StartsWith("JFIF\0"u8),
        App2 => payload.StartsWith("ICC_PROFILE\0"u8),
        App14 => payload.StartsWith("Adobe"u8),
        Com => false,
        >= App0 and <= 0xEF => false,
        _ => true,
    };

    private const int OrientationSegmentLength = 2 + 2 + 6 + ExifOrientation.TiffLength;

    private static int WriteOrientationSegment(Span<byte> target, int orientation)
    {
        target[0] = 0xFF;
        target[1] = App1;
        BinaryPrimitives.WriteUInt16BigEndian(target[2..], OrientationSegmentLength - 2);
        "Exif\0\0"u8.CopyTo(target[4..]);
        ExifOrientation.WriteTiff(target[10..], orientation);
        return OrientationSegmentLength;
    }
}
