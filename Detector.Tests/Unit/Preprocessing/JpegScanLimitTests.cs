using Detector.Modules.Common;
using Detector.Modules.Preprocessing;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Unit.Preprocessing;

/// <summary>A progressive JPEG's decode cost is pixels x scans and cannot be stopped midway, so the scans are counted first.</summary>
public sealed class JpegScanLimitTests
{
    [Fact]
    public void A_baseline_jpeg_counts_as_one_scan_and_is_decoded()
    {
        var photo = File.ReadAllBytes(JobsTestKit.CocoFiles[0]);

        Assert.Equal(1, JpegScans.Count(photo, 64));
        Assert.True(TestImages.Preprocessor().Inspect(photo).Width > 0);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(64)]
    public void A_progressive_jpeg_counts_every_scan_up_to_the_limit(int scans)
    {
        Assert.Equal(scans, JpegScans.Count(Progressive(scans), 64));
    }

    [Fact]
    public void A_progressive_jpeg_with_thousands_of_scans_is_refused_before_any_decode_as_too_complex()
    {
        var bomb = Progressive(5000);

        var inspect = Assert.Throws<DomainException>(() => TestImages.Preprocessor().Inspect(bomb));
        var preprocess = Assert.Throws<DomainException>(() => TestImages.Preprocessor().Preprocess(bomb, TestImages.Yolox, TestImages.Tensor(TestImages.Yolox)));

        Assert.Equal((413, ErrorCodes.ImageTooComplex), (inspect.Status, inspect.Code));
        Assert.Equal((413, ErrorCodes.ImageTooComplex), (preprocess.Status, preprocess.Code));
        Assert.Equal(65, JpegScans.Count(bomb, 64)); // counting stops past the limit
    }

    /// <summary>A COCO photo's frame marked progressive, its one scan repeated: what a crafted file looks like to the counter.</summary>
    private static byte[] Progressive(int scans)
    {
        var photo = File.ReadAllBytes(JobsTestKit.CocoFiles[0]);
        var sof = IndexOfMarker(photo, 0xC0);
        var sos = IndexOfMarker(photo, 0xDA);
        var eoi = photo.Length - 2;
        var head = photo[..sos];
        head[sof + 1] = 0xC2;
        var scan = photo[sos..eoi];
        var result = new List<byte>(head.Length + (scan.Length * scans) + 2);
        result.AddRange(head);
        for (var i = 0; i < scans; i++)
        {
            result.AddRange(scan);
        }

        result.AddRange([0xFF, 0xD9]);
        return [.. result];
    }

    private static int IndexOfMarker(byte[] jpeg, byte marker)
    {
        for (var i = 2; i + 3 < jpeg.Length;)
        {
            if (jpeg[i + 1] == marker)
            {
                return i;
            }

            i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
        }

        throw new InvalidOperationException($"marker FF{marker:X2} not found");
    }
}
