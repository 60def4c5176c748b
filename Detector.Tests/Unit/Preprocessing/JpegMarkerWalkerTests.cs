using Detector.Modules.Common;
using Detector.Modules.Images.Uploads.Metadata;
using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using Detector.Tests.Unit.Images;
using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

/// <summary>
/// One walk over a JPEG's markers, libjpeg's, serves both the decode-cost bound (the scan count)
/// and metadata stripping: bytes the decoder skips cannot hide a scan from the one or a segment
/// from the other.
/// </summary>
public sealed class JpegMarkerWalkerTests
{
    [Fact]
    public void The_walk_finds_segments_scan_data_restarts_fill_and_stray_bytes_as_libjpeg_reads_them()
    {
        byte[] jpeg =
        [
            0xFF, 0xD8,
            0xFF, 0xC2, 0x00, 0x0B, 8, 0, 16, 0, 16, 1, 1, 0x11, 0, // SOF2
            0x07, 0x07, // stray bytes before a marker
            0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0, // SOS
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0x00, 0x78, // data: stuffed zero, RST0, fill + stuffed zero
            0xFF, 0xFF, 0xD9, // fill, EOI
        ];

        List<(JpegPartKind, byte, int, int)> parts = [];
        var walker = new JpegMarkerWalker(jpeg);
        while (walker.MoveNext())
        {
            parts.Add((walker.Current.Kind, walker.Current.Marker, walker.Current.Start, walker.Current.End));
        }

        Assert.Equal(
            [
                (JpegPartKind.Segment, (byte)0xC2, 2, 15),
                (JpegPartKind.Stray, (byte)0, 15, 17),
                (JpegPartKind.Segment, JpegMarkers.Sos, 17, 27),
                (JpegPartKind.ScanData, (byte)0, 27, 39), // up to the last fill byte before EOI
                (JpegPartKind.Marker, JpegMarkers.Eoi, 39, 41),
            ],
            parts);
    }

    [Fact]
    public void Fill_bytes_before_a_stuffed_zero_in_a_scan_cannot_hide_the_scans_behind_it_from_the_count()
    {
        // libjpeg reads FF FF 00 inside a scan as a fill byte and a stuffed 0xFF, and decodes on;
        // a walk that took 00 for a marker read the next two bytes as a length and jumped past
        // every scan behind it.
        var bomb = Progressive(scans: 4000, firstScanData: [0x12, 0xFF, 0xFF, 0x00, 0xF0, 0x00]);

        Assert.Equal(65, JpegScans.Count(bomb, 64));
        var refused = Assert.Throws<DomainException>(() => TestImages.Preprocessor().Inspect(bomb));
        Assert.Equal(ErrorCodes.ImageTooComplex, refused.Code);
    }

    [Fact]
    public void A_stuffed_zero_between_segments_cannot_hide_exif_from_the_stripper()
    {
        // FF 00 and the two bytes after it are skipped by libjpeg, which then reads the APP1 behind
        // them: a walk that took 00 for a marker with a length kept the whole APP1 as its payload.
        var photo = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));
        var app1 = Segment(JpegMarkers.App1, [.. "Exif\0\0"u8, .. PhotosWithMetadata.ExifTiff(orientation: 6)]);
        byte[] hidden = [.. photo[..2], 0xFF, 0x00, 0x00, (byte)(2 + app1.Length), .. app1, .. photo[2..]];
        Assert.Equal(SKEncodedOrigin.RightTop, Origin(hidden)); // the decoder reads the hidden EXIF

        var stripped = hidden[..MetadataStripper.Strip(hidden)];

        Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(stripped, s), s));
    }

    /// <summary>A minimal progressive JPEG (16x16 grey, SOF2) whose scans hold four bytes of data each, the first <paramref name="firstScanData"/>.</summary>
    private static byte[] Progressive(int scans, byte[] firstScanData)
    {
        using var o = new MemoryStream();
        o.Write([0xFF, 0xD8]);
        o.Write(Segment(0xC2, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
        for (var i = 0; i < scans; i++)
        {
            o.Write(Segment(JpegMarkers.Sos, [1, 1, 0, 0, 63, 0]));
            o.Write(i == 0 ? firstScanData : [0x12, 0x34, 0x56, 0x78]);
        }

        o.Write([0xFF, 0xD9]);
        return o.ToArray();
    }

    private static byte[] Segment(byte marker, byte[] payload) =>
        [0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];

    private static SKEncodedOrigin Origin(byte[] image)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(image));
        return codec.EncodedOrigin;
    }
}
