using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class ResizeTests
{
    private static readonly SKColor Colour = new(200, 100, 50);

    [Fact]
    public void Upscaling_two_pixels_to_four_gives_pillow_bilinear_values()
    {
        // Image.fromarray([[0, 255]]).resize((4, 1), BILINEAR) == [[0, 64, 191, 255]]:
        // half-pixel centres, edge renormalisation and rounding to uint8.
        var row = Write([0, 255], srcWidth: 2, dstWidth: 4);

        Assert.Equal([0f, 64f, 191f, 255f], row);
    }

    [Fact]
    public void Halving_four_pixels_widens_the_triangle_filter_like_pillow()
    {
        // Image.fromarray([[0, 100, 200, 255]]).resize((2, 1), BILINEAR) == [[71, 209]] (Pillow 9.4):
        // shrinking by 2 doubles the filter support, so three taps weigh 3/7, 3/7, 1/7.
        var row = Write([0, 100, 200, 255], srcWidth: 4, dstWidth: 2);

        Assert.Equal([71f, 209f], row);
    }

    [Fact]
    public void Same_size_resize_copies_pixels_exactly()
    {
        byte[] values = [3, 250, 17, 128, 99];

        var row = Write(values, srcWidth: 5, dstWidth: 5);

        Assert.Equal(values.Select(v => (float)v), row);
    }

    [Fact]
    public void Yolox_letterbox_maps_a_box_in_input_space_back_to_original_pixels()
    {
        var result = Preprocess(640, 480, TestImages.Yolox, out _);
        var t = result.Transform;

        // r = min(416/480, 416/640) = 0.65, image at the top-left.
        Assert.Equal((0.65f, 0.65f, 0f, 0f), (t.ScaleX, t.ScaleY, t.OffsetX, t.OffsetY));
        Assert.Equal((100f, 100f, 200f, 200f), (t.ToOriginalX(65), t.ToOriginalY(65), t.ToOriginalX(130), t.ToOriginalY(130)));
        Assert.Equal((640f, 480f), (t.ToOriginalX(416), t.ToOriginalY(416)));
    }

    [Fact]
    public void Nanodet_centred_letterbox_subtracts_the_padding_before_scaling_back()
    {
        var result = Preprocess(640, 480, TestImages.NanoDet, out _);
        var t = result.Transform;

        // Resized 416x312, so 52 rows of padding above and below.
        Assert.Equal((0.65f, 0f, 52f), (t.ScaleX, t.OffsetX, t.OffsetY));
        Assert.Equal((100f, 0f, 200f, 480f), (t.ToOriginalX(65), t.ToOriginalY(52), t.ToOriginalY(182), t.ToOriginalY(364)));
    }

    [Fact]
    public void Picodet_stretch_scales_each_axis_on_its_own()
    {
        var result = Preprocess(640, 480, TestImages.PicoDet320, out _);
        var t = result.Transform;

        Assert.Equal((0.5f, 320f / 480, 0f, 0f), (t.ScaleX, t.ScaleY, t.OffsetX, t.OffsetY));
        Assert.Equal((320f, 240f), (t.ToOriginalX(160), t.ToOriginalY(160)));
        Assert.Equal((640f, 480f), (t.ToOriginalX(320), t.ToOriginalY(320)));
    }

    [Fact]
    public void Letterbox_size_rounds_w_times_r_to_the_nearest_pixel()
    {
        // 337x500: r = 0.832, 337 * 0.832 = 280.38 -> 280 image columns, then padding;
        // 335x500 gives 278.72 -> 279, where truncation would give 278.
        var spec = TestImages.Yolox;
        Preprocess(337, 500, spec, out var tensor);

        Assert.Equal(Colour.Blue, TestImages.At(tensor, spec, 0, 200, 279));
        Assert.Equal(114f, TestImages.At(tensor, spec, 0, 200, 280));

        Preprocess(335, 500, spec, out tensor);
        Assert.Equal(Colour.Blue, TestImages.At(tensor, spec, 0, 200, 278));
        Assert.Equal(114f, TestImages.At(tensor, spec, 0, 200, 279));
        Assert.Equal(Colour.Blue, TestImages.At(tensor, spec, 0, 415, 100));
    }

    [Theory]
    [InlineData(500, 335, 279)] // r = 0.832: 278.72 -> 279 (flooring gives 278)
    [InlineData(500, 334, 278)] // 277.888 -> 278
    [InlineData(640, 427, 278)] // r = 0.65: 277.55 -> 278
    [InlineData(832, 555, 278)] // r = 0.5: 277.5 -> 278 (half to even, like Python's round)
    public void Landscape_letterbox_height_rounds_h_times_r_to_the_nearest_pixel(int width, int height, int expectedRows)
    {
        var spec = TestImages.Yolox;

        Assert.Equal(expectedRows, LetterboxGeometry.For(spec, width, height).ResizedHeight);

        // The tensor agrees: the last image row is colour, the next one is padding.
        Preprocess(width, height, spec, out var tensor);
        Assert.Equal(Colour.Blue, TestImages.At(tensor, spec, 0, expectedRows - 1, 100));
        Assert.Equal(114f, TestImages.At(tensor, spec, 0, expectedRows, 100));
    }

    [Fact]
    public void Yolox_tensor_is_raw_bgr_with_114_padding()
    {
        var spec = TestImages.Yolox;
        Preprocess(64, 48, spec, out var tensor);

        // 64x48 scales by 6.5 to 416x312: rows 312.. are padding.
        Assert.Equal((50f, 100f, 200f), Pixel(tensor, spec, 10, 10));
        Assert.Equal((50f, 100f, 200f), Pixel(tensor, spec, 311, 415));
        Assert.Equal((114f, 114f, 114f), Pixel(tensor, spec, 312, 0));
        Assert.Equal((114f, 114f, 114f), Pixel(tensor, spec, 415, 415));
    }

    [Fact]
    public void Picodet_tensor_is_rgb_scaled_to_unit_range_then_imagenet_normalised()
    {
        var spec = TestImages.PicoDet320;
        Preprocess(64, 48, spec, out var tensor);

        var expected = ((200 / 255f - 0.485f) / 0.229f, (100 / 255f - 0.456f) / 0.224f, (50 / 255f - 0.406f) / 0.225f);
        foreach (var (y, x) in new[] { (0, 0), (160, 160), (319, 319) })
        {
            var (r, g, b) = Pixel(tensor, spec, y, x);
            Assert.Equal(expected.Item1, r, 4);
            Assert.Equal(expected.Item2, g, 4);
            Assert.Equal(expected.Item3, b, 4);
        }
    }

    [Fact]
    public void Nanodet_tensor_is_bgr_mean_std_normalised_with_zero_padding_centred()
    {
        var spec = TestImages.NanoDet;
        Preprocess(64, 48, spec, out var tensor);

        var image = ((50 - 103.53f) / 57.375f, (100 - 116.28f) / 57.12f, (200 - 123.675f) / 58.395f);
        var pad = ((0 - 103.53f) / 57.375f, (0 - 116.28f) / 57.12f, (0 - 123.675f) / 58.395f);
        // 416x312 image centred: rows 0..51 and 364..415 are padding.
        Assert.Equal(pad, Pixel(tensor, spec, 51, 200));
        Assert.Equal(image, Pixel(tensor, spec, 52, 200));
        Assert.Equal(image, Pixel(tensor, spec, 363, 0));
        Assert.Equal(pad, Pixel(tensor, spec, 364, 415));
    }

    [Fact]
    public void Alpha_is_ignored_so_transparent_pixels_keep_their_colour()
    {
        // Pillow's RGB conversion drops alpha; premultiplying would darken edges the models never saw.
        using var bitmap = new SKBitmap(8, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap.Erase(new SKColor(200, 100, 50, 128));
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);
        var spec = TestImages.Raw(8, 8);
        var tensor = TestImages.Tensor(spec);

        TestImages.Preprocessor().Preprocess(png, spec, tensor);

        Assert.Equal((200f, 100f, 50f), Pixel(tensor, spec, 4, 4));
    }

    private static PreprocessedImage Preprocess(int width, int height, PreprocessSpec spec, out float[] tensor)
    {
        using var bitmap = TestImages.Solid(width, height, Colour);
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);
        tensor = TestImages.Tensor(spec);
        return TestImages.Preprocessor().Preprocess(png, spec, tensor);
    }

    private static (float C0, float C1, float C2) Pixel(float[] tensor, PreprocessSpec spec, int y, int x) =>
        (TestImages.At(tensor, spec, 0, y, x), TestImages.At(tensor, spec, 1, y, x), TestImages.At(tensor, spec, 2, y, x));

    /// <summary>Resizes one grey row through the tensor writer and returns channel 0.</summary>
    private static float[] Write(byte[] grey, int srcWidth, int dstWidth)
    {
        var rgba = grey.SelectMany(v => new[] { v, v, v, (byte)255 }).ToArray();
        var spec = TestImages.Raw(dstWidth, 1);
        var geometry = LetterboxGeometry.For(spec, srcWidth, 1);
        var tensor = TestImages.Tensor(spec);
        TensorWriter.Write(rgba, srcWidth, 1, srcWidth * 4, 1, spec, geometry, tensor);
        return tensor[..dstWidth];
    }
}
