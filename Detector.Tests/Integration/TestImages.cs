using System.Text;

namespace Detector.Tests.Integration;

/// <summary>Hostile and malformed inputs, built in code so each one is exactly what its name says.</summary>
internal static class BadImages
{
    public static byte[] Dog => File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    public static byte[] TruncatedJpeg
    {
        get
        {
            var dog = Dog;
            return dog[..(dog.Length / 2)];
        }
    }

    public static byte[] Text => Encoding.UTF8.GetBytes("this is not an image, just a text file with a .jpg name\n");

    public static byte[] Tiff => [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    public static byte[] Svg => Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>");

    /// <summary>A valid PNG signature and IHDR claiming 100000 x 100000 pixels: a decompression bomb's header.</summary>
    public static byte[] PngBomb => Unit.Preprocessing.TestImages.PngClaiming(100_000, 100_000);

    /// <summary>30 MB: a JPEG start followed by filler, over the 20 MB upload limit.</summary>
    public static byte[] Oversized
    {
        get
        {
            var bytes = new byte[30 * 1024 * 1024];
            Dog.AsSpan(0, 1024).CopyTo(bytes);
            return bytes;
        }
    }
}
