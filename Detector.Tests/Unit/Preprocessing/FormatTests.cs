using Detector.Modules.Common;
using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class FormatTests
{
    private static readonly SKColor Teal = new(20, 160, 140);

    public static TheoryData<string> SupportedFormats => ["jpeg", "png", "webp", "gif", "bmp"];

    public static TheoryData<string> UnsupportedFormats => ["tiff", "svg", "heic", "pdf", "text", "random"];

    [Theory]
    [MemberData(nameof(SupportedFormats))]
    public void Each_supported_format_decodes_to_its_colours(string format)
    {
        var bytes = Encoded(format, 48, 32);
        var preprocessor = TestImages.Preprocessor();
        var spec = TestImages.Raw(48, 32);
        var tensor = TestImages.Tensor(spec);

        var header = preprocessor.Inspect(bytes);
        var result = preprocessor.Preprocess(bytes, spec, tensor);

        Assert.Equal(new Detector.Modules.Preprocessing.Contracts.ImageHeader(format, 48, 32, 1), header);
        Assert.Equal(header, result.Header);
        var tolerance = format is "jpeg" or "webp" ? 4f : 0f;
        Assert.InRange(TestImages.At(tensor, spec, 0, 16, 24), Teal.Red - tolerance, Teal.Red + tolerance);
        Assert.InRange(TestImages.At(tensor, spec, 1, 16, 24), Teal.Green - tolerance, Teal.Green + tolerance);
        Assert.InRange(TestImages.At(tensor, spec, 2, 16, 24), Teal.Blue - tolerance, Teal.Blue + tolerance);
        Assert.True(result.DecodeMs >= 0);
    }

    [Theory]
    [MemberData(nameof(UnsupportedFormats))]
    public void Unsupported_formats_are_refused_with_415(string format)
    {
        var bytes = format switch
        {
            "tiff" => TestImages.Tiff(),
            "svg" => TestImages.Svg(),
            "heic" => TestImages.Heic(),
            "pdf" => TestImages.Pdf(),
            "text" => "just some words"u8.ToArray(),
            _ => Enumerable.Range(0, 256).Select(i => (byte)(i * 37)).ToArray(),
        };

        var inspect = Assert.Throws<DomainException>(() => TestImages.Preprocessor().Inspect(bytes));
        var preprocess = Assert.Throws<DomainException>(() => Preprocess(bytes));

        Assert.Equal((415, ErrorCodes.UnsupportedImageFormat), (inspect.Status, inspect.Code));
        Assert.Equal((415, ErrorCodes.UnsupportedImageFormat), (preprocess.Status, preprocess.Code));
    }

    [Fact]
    public void Text_uploaded_as_photo_jpg_is_refused_as_unsupported_not_corrupt()
    {
        // The name and Content-Type a client sends are never trusted; only the bytes count.
        var bytes = "This is not a photo, it is a text file called photo.jpg\n"u8.ToArray();

        var ex = Assert.Throws<DomainException>(() => Preprocess(bytes));

        Assert.Equal(415, ex.Status);
        Assert.Equal(ErrorCodes.UnsupportedImageFormat, ex.Code);
    }

    [Fact]
    public void Empty_input_is_a_400_empty_body()
    {
        var inspect = Assert.Throws<DomainException>(() => TestImages.Preprocessor().Inspect([]));
        var preprocess = Assert.Throws<DomainException>(() => Preprocess([]));

        Assert.Equal((400, ErrorCodes.EmptyBody), (inspect.Status, inspect.Code));
        Assert.Equal((400, ErrorCodes.EmptyBody), (preprocess.Status, preprocess.Code));
    }

    [Fact]
    public void Truncated_jpeg_is_a_422_corrupt_image()
    {
        using var bitmap = TestImages.Gradient(320, 240);
        var jpeg = TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg);
        var truncated = jpeg[..(jpeg.Length / 2)];

        var ex = Assert.Throws<DomainException>(() => Preprocess(truncated));

        Assert.Equal(422, ex.Status);
        Assert.Equal(ErrorCodes.CorruptImage, ex.Code);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("gif")]
    public void Right_magic_bytes_followed_by_garbage_are_a_422_corrupt_image(string format)
    {
        byte[] magic = format switch
        {
            "jpeg" => [0xFF, 0xD8, 0xFF],
            "png" => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A],
            _ => "GIF89a"u8.ToArray(),
        };
        var bytes = magic.Concat(Enumerable.Repeat((byte)0x01, 64)).ToArray();

        // Some garbage still parses as a header (a GIF's is just two sizes), so this goes all the way to decoding.
        var ex = Assert.Throws<DomainException>(() => Preprocess(bytes));

        Assert.Equal((422, ErrorCodes.CorruptImage), (ex.Status, ex.Code));
    }

    [Fact]
    public void Png_header_claiming_100000_squared_is_refused_before_decoding()
    {
        var bomb = TestImages.PngClaiming(100_000, 100_000);
        var preprocessor = TestImages.Preprocessor();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var inspect = Assert.Throws<DomainException>(() => preprocessor.Inspect(bomb));
        var preprocess = Assert.Throws<DomainException>(() => Preprocess(bomb));

        Assert.Equal((413, ErrorCodes.ImageTooLarge), (inspect.Status, inspect.Code));
        Assert.Equal((413, ErrorCodes.ImageTooLarge), (preprocess.Status, preprocess.Code));
        // A decode would need 40 GB; refusing from the header leaves managed allocation tiny.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 4_000_000);
    }

    [Fact]
    public void Pixel_limit_counts_width_times_height_from_the_header()
    {
        var png = Encoded("png", 100, 50);

        Assert.Equal(100, TestImages.Preprocessor(maxPixels: 5000).Inspect(png).Width);
        var ex = Assert.Throws<DomainException>(() => TestImages.Preprocessor(maxPixels: 4999).Inspect(png));
        Assert.Equal(413, ex.Status);
    }

    [Fact]
    public void Destination_of_the_wrong_length_is_an_argument_error()
    {
        var png = Encoded("png", 8, 8);
        var spec = TestImages.Raw(8, 8);

        Assert.Throws<ArgumentException>(() => TestImages.Preprocessor().Preprocess(png, spec, new float[(3 * 64) - 1]));
    }

    [Fact]
    public void Sample_dog_photo_header_reads_768_by_576()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

        var header = TestImages.Preprocessor().Inspect(bytes);

        Assert.Equal("jpeg", header.Format);
        Assert.Equal((768, 576), (header.Width, header.Height));
        Assert.Equal(1, header.Orientation);
    }

    [Fact]
    public void Sample_dog_photo_preprocesses_for_yolox_with_transform_back_to_768_by_576()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));
        var tensor = TestImages.Tensor(TestImages.Yolox);

        var result = TestImages.Preprocessor().Preprocess(bytes, TestImages.Yolox, tensor);

        Assert.Equal(416f / 768, result.Transform.ScaleX, 6);
        Assert.Equal(768f, result.Transform.ToOriginalX(416), 2);
        Assert.Equal(576f, result.Transform.ToOriginalY(312), 2);
        Assert.Equal(114f, TestImages.At(tensor, TestImages.Yolox, 0, 415, 0));
        Assert.All(tensor, v => Assert.InRange(v, 0f, 255f));
    }

    private static void Preprocess(byte[] bytes)
    {
        var spec = TestImages.Yolox;
        TestImages.Preprocessor().Preprocess(bytes, spec, TestImages.Tensor(spec));
    }

    private static byte[] Encoded(string format, int width, int height)
    {
        using var bitmap = TestImages.Solid(width, height, Teal);
        return format switch
        {
            "jpeg" => TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 100),
            "png" => TestImages.Encode(bitmap, SKEncodedImageFormat.Png),
            "webp" => TestImages.Encode(bitmap, SKEncodedImageFormat.Webp, 100),
            "bmp" => TestImages.Bmp(bitmap),
            _ => TestImages.Gif(width, height, [Teal, SKColors.Black], (_, _) => 0),
        };
    }
}
