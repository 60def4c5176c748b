using SkiaSharp;

namespace Detector.Tests.Integration;

/// <summary>
/// Photos that differ in their pixel data, as a real load's do: photo i is base photo i mod N with
/// i's bits drawn as black and white squares in its top-left corner, re-encoded as JPEG. A test of
/// the pipeline under load sends these, since identical photos are answered by the result cache.
/// </summary>
internal static class DistinctPhotos
{
    public static List<byte[]> Make(IReadOnlyList<byte[]> basePhotos, int count)
    {
        var decoded = basePhotos.Select(b => SKBitmap.Decode(b)).ToArray();
        try
        {
            var photos = new List<byte[]>(count);
            for (var i = 0; i < count; i++)
            {
                using var copy = decoded[i % decoded.Length].Copy();
                using (var canvas = new SKCanvas(copy))
                using (var black = new SKPaint { Color = SKColors.Black })
                using (var white = new SKPaint { Color = SKColors.White })
                {
                    for (var bit = 0; bit < 16; bit++)
                    {
                        canvas.DrawRect(bit * 8, 0, 8, 8, ((i >> bit) & 1) == 1 ? white : black);
                    }
                }

                using var data = copy.Encode(SKEncodedImageFormat.Jpeg, 90);
                photos.Add(data.ToArray());
            }

            return photos;
        }
        finally
        {
            foreach (var bitmap in decoded)
            {
                bitmap.Dispose();
            }
        }
    }
}
