using Detector.Modules.Preprocessing;
using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class ScaledDecodeTests
{
    private static readonly Lazy<byte[]> LargeJpeg = new(() =>
    {
        using var bitmap = TestImages.Gradient(4000, 3000);
        return TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 90);
    });

    [Fact]
    public void Large_jpeg_decoded_at_reduced_scale_still_maps_boxes_back_to_4000_by_3000()
    {
        var spec = TestImages.Yolox;
        var tensor = TestImages.Tensor(spec);

        var result = TestImages.Preprocessor().Preprocess(LargeJpeg.Value, spec, tensor);

        Assert.Equal((4000, 3000), (result.Header.Width, result.Header.Height));
        Assert.Equal(416f / 4000, result.Transform.ScaleX, 6);
        Assert.Equal((4000f, 3000f), (result.Transform.ToOriginalX(416), result.Transform.ToOriginalY(312)));
        Assert.Equal((2000f, 1500f), (result.Transform.ToOriginalX(208), result.Transform.ToOriginalY(156)));
    }

    [Fact]
    public void Scaled_decode_tensor_stays_close_to_a_full_decode_tensor()
    {
        var spec = TestImages.Yolox;
        var scaled = TestImages.Tensor(spec);
        var full = TestImages.Tensor(spec);

        var a = TestImages.Preprocessor(scaledJpegDecode: true).Preprocess(LargeJpeg.Value, spec, scaled);
        var b = TestImages.Preprocessor(scaledJpegDecode: false).Preprocess(LargeJpeg.Value, spec, full);

        Assert.Equal(b.Transform, a.Transform);
        var meanAbsDiff = scaled.Zip(full, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanAbsDiff < 2.0, $"Mean absolute difference {meanAbsDiff:F3} on the 0..255 scale.");
        // Padding is untouched by the decode scale.
        Assert.Equal(114f, TestImages.At(scaled, spec, 1, 400, 10));
    }

    [Fact]
    public void Rotated_large_jpeg_chooses_its_scale_on_the_oriented_axes()
    {
        // Stored 4000x3000 with orientation 6 is a 3000x4000 portrait; stretching it to 320x320 needs
        // at least 320 oriented columns, i.e. 320 stored rows, which only a covering scale can give.
        var jpeg = TestImages.WithExifOrientation(LargeJpeg.Value, 6);
        var spec = TestImages.PicoDet320;
        var scaled = TestImages.Tensor(spec);
        var full = TestImages.Tensor(spec);

        var a = TestImages.Preprocessor(scaledJpegDecode: true).Preprocess(jpeg, spec, scaled);
        TestImages.Preprocessor(scaledJpegDecode: false).Preprocess(jpeg, spec, full);

        Assert.Equal((3000, 4000), (a.Header.Width, a.Header.Height));
        Assert.Equal((320f / 3000, 320f / 4000), (a.Transform.ScaleX, a.Transform.ScaleY));
        var meanAbsDiff = scaled.Zip(full, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanAbsDiff * 0.229f * 255 < 2.0, $"Mean absolute difference {meanAbsDiff:F4} in normalised units.");
    }

    [Theory]
    [InlineData(4000, 3000, 1, 500, 375)]
    [InlineData(4000, 3000, 6, 500, 375)]
    [InlineData(1280, 960, 1, 480, 360)]
    [InlineData(832, 624, 1, 416, 312)]
    [InlineData(800, 600, 1, 800, 600)]
    [InlineData(640, 480, 1, 640, 480)]
    public void Jpeg_decode_scale_is_the_smallest_eighth_up_to_a_half_that_covers_the_resized_image(
        int width, int height, int orientation, int expectedWidth, int expectedHeight)
    {
        using var bitmap = TestImages.Solid(width, height, SKColors.Gray);
        using var data = SKData.CreateCopy(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 50));
        using var codec = SKCodec.Create(data);
        var (ow, oh) = orientation >= 5 ? (height, width) : (width, height);
        var geometry = LetterboxGeometry.For(TestImages.Yolox, ow, oh);

        var size = SkiaImagePreprocessor.ChooseJpegDecodeSize(codec, orientation, geometry);

        Assert.Equal((expectedWidth, expectedHeight), (size.Width, size.Height));
    }

    [Fact]
    public void Coco_sized_photo_gives_the_same_tensor_with_scaled_decode_on_or_off()
    {
        // Photos under twice the resized size are decoded fully, so the evaluation images see the reference pixels.
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));
        var spec = TestImages.Yolox;
        var on = TestImages.Tensor(spec);
        var off = TestImages.Tensor(spec);

        TestImages.Preprocessor(scaledJpegDecode: true).Preprocess(bytes, spec, on);
        TestImages.Preprocessor(scaledJpegDecode: false).Preprocess(bytes, spec, off);

        Assert.Equal(off, on);
    }
}
