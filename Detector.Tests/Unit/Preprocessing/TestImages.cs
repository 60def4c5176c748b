using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

/// <summary>Images made in code: Skia encodes what it can, the rest is written byte by byte.</summary>
internal static class TestImages
{
    public static readonly PreprocessSpec Yolox = new(416, 416, ColorOrder.Bgr, ResizeMode.LetterboxTopLeft, 114f, [0f, 0f, 0f], [1f, 1f, 1f]);

    public static readonly PreprocessSpec PicoDet320 = new(
        320, 320, ColorOrder.Rgb, ResizeMode.Stretch, 0f,
        [0.485f * 255, 0.456f * 255, 0.406f * 255],
        [0.229f * 255, 0.224f * 255, 0.225f * 255]);

    public static readonly PreprocessSpec NanoDet = new(
        416, 416, ColorOrder.Bgr, ResizeMode.LetterboxCentered, 0f,
        [103.53f, 116.28f, 123.675f],
        [57.375f, 57.12f, 58.395f]);

    /// <summary>Identity normalisation, RGB: the tensor holds the resized pixel values themselves.</summary>
    public static PreprocessSpec Raw(int width, int height, ResizeMode mode = ResizeMode.Stretch) =>
        new(width, height, ColorOrder.Rgb, mode, 0f, [0f, 0f, 0f], [1f, 1f, 1f]);

    public static SkiaImagePreprocessor Preprocessor(int maxPixels = 50_000_000, bool scaledJpegDecode = true) =>
        new(Options.Create(new PreprocessingOptions { MaxPixels = maxPixels, ScaledJpegDecode = scaledJpegDecode }));

    public static float[] Tensor(PreprocessSpec spec) => new float[3 * spec.Width * spec.Height];

    /// <summary>Tensor value at channel c, row y, column x.</summary>
    public static float At(float[] tensor, PreprocessSpec spec, int c, int y, int x) =>
        tensor[(c * spec.Width * spec.Height) + (y * spec.Width) + x];

    public static SKBitmap Solid(int width, int height, SKColor color)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(color);
        return bitmap;
    }

    /// <summary>Left half red, right half blue.</summary>
    public static SKBitmap RedLeftBlueRight(int width, int height)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, x < width / 2 ? SKColors.Red : SKColors.Blue);
            }
        }

        return bitmap;
    }

    /// <summary>A smooth, detailed picture, so resampling differences show up but JPEG artefacts stay small.</summary>
    public static SKBitmap Gradient(int width, int height)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint();
        paint.Shader = SKShader.CreateLinearGradient(
            new SKPoint(0, 0), new SKPoint(width, height), [SKColors.Navy, SKColors.Orange, SKColors.SeaGreen], SKShaderTileMode.Clamp);
        canvas.DrawRect(0, 0, width, height, paint);
        paint.Shader = null;
        paint.Color = SKColors.White;
        canvas.DrawCircle(width * 0.3f, height * 0.4f, Math.Min(width, height) * 0.2f, paint);
        paint.Color = SKColors.Black;
        canvas.DrawRect(width * 0.6f, height * 0.5f, width * 0.25f, height * 0.3f, paint);
        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}.");
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment carrying only the orientation tag right after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        using var app1 = new MemoryStream();
        app1.Write([0xFF, 0xE1]);
        var tiff = new byte[8 + 2 + 12 + 4];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(10), 0x0112);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(12), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(18), (ushort)orientation);
        var length = 2 + 6 + tiff.Length;
        app1.Write([(byte)(length >> 8), (byte)length]);
        app1.Write("Exif\0\0"u8);
        app1.Write(tiff);
        return [.. jpeg.AsSpan(0, 2), .. app1.ToArray(), .. jpeg.AsSpan(2)];
    }

    /// <summary>24-bit bottom-up BMP; Skia has no BMP encoder.</summary>
    public static byte[] Bmp(SKBitmap bitmap)
    {
        var w = bitmap.Width;
        var h = bitmap.Height;
        var stride = ((w * 3) + 3) & ~3;
        var bytes = new byte[54 + (stride * h)];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * h);
        for (var y = 0; y < h; y++)
        {
            var row = 54 + ((h - 1 - y) * stride);
            for (var x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                bytes[row + (3 * x)] = c.Blue;
                bytes[row + (3 * x) + 1] = c.Green;
                bytes[row + (3 * x) + 2] = c.Red;
            }
        }

        return bytes;
    }

    /// <summary>
    /// GIF89a with a 4-colour global palette. The LZW stream sends a clear code before every
    /// second pixel, which keeps codes at 3 bits and needs no dictionary.
    /// </summary>
    public static byte[] Gif(int width, int height, SKColor[] palette, Func<int, int, int> indexAt)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        gif.Write([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0xF1, 0, 0]);
        for (var i = 0; i < 4; i++)
        {
            var c = i < palette.Length ? palette[i] : SKColors.Black;
            gif.Write([c.Red, c.Green, c.Blue]);
        }

        gif.Write([0x2C, 0, 0, 0, 0, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0]);
        const int clear = 4;
        const int end = 5;
        var codes = new List<int>();
        var n = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (n++ % 2 == 0)
                {
                    codes.Add(clear);
                }

                codes.Add(indexAt(x, y));
            }
        }

        codes.Add(end);
        var packed = new List<byte>();
        int acc = 0, bits = 0;
        foreach (var code in codes)
        {
            acc |= code << bits;
            bits += 3;
            while (bits >= 8)
            {
                packed.Add((byte)acc);
                acc >>= 8;
                bits -= 8;
            }
        }

        if (bits > 0)
        {
            packed.Add((byte)acc);
        }

        gif.WriteByte(2);
        for (var i = 0; i < packed.Count; i += 255)
        {
            var size = Math.Min(255, packed.Count - i);
            gif.WriteByte((byte)size);
            gif.Write(packed.GetRange(i, size).ToArray());
        }

        gif.Write([0, 0x3B]);
        return gif.ToArray();
    }

    /// <summary>A valid PNG whose IHDR claims width x height RGB, with a few bytes of pixel data after it.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write(PngChunks.Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        PngChunks.Write(png, "IHDR", ihdr);
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[1024]);
        }

        PngChunks.Write(png, "IDAT", z.ToArray());
        PngChunks.Write(png, "IEND", []);
        return png.ToArray();
    }

    public static byte[] Tiff() => [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static byte[] Svg() => Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>");

    public static byte[] Heic() => [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c', 0, 0, 0, 0, (byte)'m', (byte)'i', (byte)'f', (byte)'1', (byte)'h', (byte)'e', (byte)'i', (byte)'c'];

    public static byte[] Pdf() => Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n");
}
