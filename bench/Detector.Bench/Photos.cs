using SkiaSharp;

namespace Detector.Bench;

/// <summary>Part 7's phone photos: the COCO val images upscaled to about 12 MP (4032x3024), JPEG quality 90, made once.</summary>
internal static class Photos
{
    public const int TargetPixels = 4032 * 3024;

    public static List<(string Name, byte[] Bytes)> Get12Mp(BenchContext ctx)
    {
        var dir = Path.Combine(ctx.CacheDir, "12mp");
        Directory.CreateDirectory(dir);
        var result = new List<(string, byte[])>();
        var made = 0;
        foreach (var (name, bytes) in ctx.LoadImages())
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path))
            {
                using var src = SKBitmap.Decode(bytes) ?? throw new InvalidOperationException($"cannot decode {name}");
                var s = Math.Sqrt((double)TargetPixels / (src.Width * src.Height));
                var info = new SKImageInfo((int)Math.Round(src.Width * s), (int)Math.Round(src.Height * s), SKColorType.Rgba8888, SKAlphaType.Premul);
                using var big = src.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)) ?? throw new InvalidOperationException("resize failed");
                using var image = SKImage.FromBitmap(big);
                using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
                var tmp = path + ".tmp";
                File.WriteAllBytes(tmp, data.ToArray());
                File.Move(tmp, path, overwrite: true);
                made++;
            }

            result.Add((name, File.ReadAllBytes(path)));
        }

        if (made > 0)
        {
            Log.Info($"made {made} 12 MP photos in {dir}");
        }

        return result;
    }

    public static (int Width, int Height) Size(byte[] jpeg)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(jpeg));
        return (codec.Info.Width, codec.Info.Height);
    }
}
