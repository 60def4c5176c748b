using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class OrientationTests
{
    private static readonly SKColor[] QuadrantColours = [SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.White];

    [Fact]
    public void Exif_orientation_6_turns_a_wide_image_with_red_left_into_a_tall_one_with_red_on_top()
    {
        // Orientation 6 means "rotate 90° clockwise to display": the stored left edge becomes the top.
        using var bitmap = TestImages.RedLeftBlueRight(40, 20);
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 100), 6);
        var spec = TestImages.Raw(20, 40);
        var tensor = TestImages.Tensor(spec);

        var header = TestImages.Preprocessor().Inspect(jpeg);
        var result = TestImages.Preprocessor().Preprocess(jpeg, spec, tensor);

        Assert.Equal(("jpeg", 20, 40, 6), (header.Format, header.Width, header.Height, header.Orientation));
        Assert.Equal((20, 40), (result.Transform.OriginalWidth, result.Transform.OriginalHeight));
        AssertColour(SKColors.Red, tensor, spec, x: 10, y: 8);
        AssertColour(SKColors.Blue, tensor, spec, x: 10, y: 32);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Every_exif_orientation_puts_each_quadrant_where_the_display_transform_says(int orientation)
    {
        // Quadrants, stored: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
        int[,] stored = { { 0, 1 }, { 2, 3 } };
        var expected = Display(stored, orientation);
        using var bitmap = Quadrants(64, 32);
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 100), orientation);
        var (w, h) = orientation >= 5 ? (32, 64) : (64, 32);
        var spec = TestImages.Raw(w, h);
        var tensor = TestImages.Tensor(spec);

        var result = TestImages.Preprocessor().Preprocess(jpeg, spec, tensor);

        Assert.Equal((w, h, orientation), (result.Header.Width, result.Header.Height, result.Header.Orientation));
        for (var qy = 0; qy < 2; qy++)
        {
            for (var qx = 0; qx < 2; qx++)
            {
                AssertColour(QuadrantColours[expected[qy, qx]], tensor, spec, x: (w / 4) + (qx * w / 2), y: (h / 4) + (qy * h / 2));
            }
        }
    }

    /// <summary>The EXIF table in terms of whole-image operations, independent of the sampler's index arithmetic.</summary>
    private static int[,] Display(int[,] stored, int orientation) => orientation switch
    {
        2 => FlipH(stored),
        3 => RotateCw(RotateCw(stored)),
        4 => FlipV(stored),
        5 => FlipH(RotateCw(stored)),
        6 => RotateCw(stored),
        7 => FlipV(RotateCw(stored)),
        8 => RotateCw(RotateCw(RotateCw(stored))),
        _ => stored,
    };

    private static int[,] RotateCw(int[,] m)
    {
        int rows = m.GetLength(0), cols = m.GetLength(1);
        var r = new int[cols, rows];
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < cols; x++)
            {
                r[x, rows - 1 - y] = m[y, x];
            }
        }

        return r;
    }

    private static int[,] FlipH(int[,] m) => new[,] { { m[0, 1], m[0, 0] }, { m[1, 1], m[1, 0] } };

    private static int[,] FlipV(int[,] m) => new[,] { { m[1, 0], m[1, 1] }, { m[0, 0], m[0, 1] } };

    private static SKBitmap Quadrants(int width, int height)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
                bitmap.SetPixel(x, y, QuadrantColours[q]);
            }
        }

        return bitmap;
    }

    private static void AssertColour(SKColor expected, float[] tensor, Detector.Modules.Preprocessing.Contracts.PreprocessSpec spec, int x, int y)
    {
        const float tolerance = 24f;
        var actual = (R: TestImages.At(tensor, spec, 0, y, x), G: TestImages.At(tensor, spec, 1, y, x), B: TestImages.At(tensor, spec, 2, y, x));
        Assert.True(
            Math.Abs(actual.R - expected.Red) <= tolerance && Math.Abs(actual.G - expected.Green) <= tolerance && Math.Abs(actual.B - expected.Blue) <= tolerance,
            $"At ({x},{y}) expected {expected} but found {actual}.");
    }
}
