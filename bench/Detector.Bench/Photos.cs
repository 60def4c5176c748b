using SkiaSharp;

namespace Detector.Bench;

/// <summary>
/// Part 7's phone photos: 4032x3024 (12 MP) JPEGs at quality 90 with real detail everywhere, each
/// a 7x7 mosaic of distinct COCO photos (val and train), not one photo upscaled (an upscaled image
/// is smooth and compresses and decodes unlike a real phone photo). Made once, cached.
/// </summary>
internal static class Photos
{
    public const int Width = 4032;
    public const int Height = 3024;
    public const int TargetPixels = Width * Height;
    private const int Grid = 7;

    public static List<(string Name, byte[] Bytes)> Get12Mp(BenchContext ctx)
    {
        var dir = Path.Combine(ctx.CacheDir, "12mp-mosaic");
        Directory.CreateDirectory(dir);
        var sources = Directory.GetFiles(Path.Combine(ctx.DatasetDir, "val2017"), "*.jpg")
            .Concat(Directory.GetFiles(Path.Combine(ctx.DatasetDir, "train2017"), "*.jpg"))
            .Order(StringComparer.Ordinal).ToList();
        var result = new List<(string, byte[])>();
        var made = 0;
        var count = ctx.LoadImages().Count;
        for (var k = 0; k < count; k++)
        {
            var path = Path.Combine(dir, $"mosaic-{k:D2}.jpg");
            if (!File.Exists(path))
            {
                using var canvas = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
                using (var draw = new SKCanvas(canvas))
                {
                    var (tw, th) = (Width / Grid, Height / Grid);
                    for (var t = 0; t < Grid * Grid; t++)
                    {
                        using var tile = SKBitmap.Decode(sources[((k * 11) + t) % sources.Count]) ?? throw new InvalidOperationException("cannot decode a COCO photo");
                        using var image = SKImage.FromBitmap(tile);
                        draw.DrawImage(image, new SKRect(t % Grid * tw, t / Grid * th, (t % Grid * tw) + tw, (t / Grid * th) + th), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
                    }
                }

                using var encoded = SKImage.FromBitmap(canvas).Encode(SKEncodedImageFormat.Jpeg, 90);
                var tmp = path + ".tmp";
                File.WriteAllBytes(tmp, encoded.ToArray());
                File.Move(tmp, path, overwrite: true);
                made++;
            }

            result.Add((Path.GetFileName(path), File.ReadAllBytes(path)));
        }

        if (made > 0)
        {
            Log.Info($"made {made} 12 MP mosaics of distinct COCO photos in {dir} ({result.Average(r => r.Item2.Length) / 1e6:F1} MB mean)");
        }

        return result;
    }

    public static (int Width, int Height) Size(byte[] jpeg)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(jpeg));
        return (codec.Info.Width, codec.Info.Height);
    }
}
