using System.Buffers.Binary;
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
    public static byte[] PngBomb
    {
        get
        {
            using var ms = new MemoryStream();
            ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
            var ihdr = new byte[13];
            BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), 100_000);
            BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 100_000);
            ihdr[8] = 8; // bit depth
            ihdr[9] = 2; // truecolour
            WriteChunk(ms, "IHDR", ihdr);
            WriteChunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
            WriteChunk(ms, "IEND", []);
            return ms.ToArray();
        }
    }

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

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typeAndData));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
