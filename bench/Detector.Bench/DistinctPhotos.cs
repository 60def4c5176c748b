using System.Collections;
using System.Globalization;
using SkiaSharp;

namespace Detector.Bench;

/// <summary>
/// Photos made distinct in their pixel data (the store deduplicates identical bytes and strips
/// trailing ones, so repeats flatter it): photo i is base photo i mod N with i's bits drawn as
/// black and white squares in its top-left corner, re-encoded as JPEG (q90). Each phase gets the
/// photos after those earlier phases sent; a wrap (a repeat) is counted in <see cref="Repeats"/>.
/// </summary>
internal sealed class DistinctPhotos(IReadOnlyList<byte[]> basePhotos, string label, int size)
{
    private readonly byte[][] _photos = Make(basePhotos, label, size);
    private int _used;

    public int Size => _photos.Length;

    public int Used => Volatile.Read(ref _used);

    /// <summary>Photos sent beyond the pool (so sent twice): 0 in a valid run.</summary>
    public int Repeats => Math.Max(0, Used - Size);

    public double MeanBytes => _photos.Average(p => (double)p.Length);

    /// <summary>A closed loop over the photos no earlier phase sent.</summary>
    public async Task<Phase> RunAsync(HttpLoad load, int concurrency, TimeSpan duration)
    {
        var sent0 = load.Sent;
        var phase = await load.ClosedAsync(new Window(_photos, Used), concurrency, duration);
        Interlocked.Add(ref _used, (int)(load.Sent - sent0));
        return phase;
    }

    /// <summary>The next unsent photo (for paced senders running beside a closed loop).</summary>
    public byte[] Next() => _photos[(Interlocked.Increment(ref _used) - 1) % _photos.Length];

    /// <summary>Every photo of the pool, for work that stores nothing (in-process runs); takes none.</summary>
    public IReadOnlyList<byte[]> All => _photos;

    private static byte[][] Make(IReadOnlyList<byte[]> basePhotos, string label, int size)
    {
        var decoded = basePhotos.Select(b => SKBitmap.Decode(b) ?? throw new InvalidOperationException("cannot decode a base photo")).ToArray();
        try
        {
            var photos = new byte[size][];
            Parallel.For(0, size, i =>
            {
                using var copy = decoded[i % decoded.Length].Copy();
                using (var canvas = new SKCanvas(copy))
                using (var black = new SKPaint { Color = SKColors.Black })
                using (var white = new SKPaint { Color = SKColors.White })
                {
                    for (var bit = 0; bit < 20; bit++)
                    {
                        canvas.DrawRect(bit * 8, 0, 8, 8, ((i >> bit) & 1) == 1 ? white : black);
                    }
                }

                using var image = SKImage.FromBitmap(copy);
                using var encoded = image.Encode(SKEncodedImageFormat.Jpeg, 90);
                photos[i] = encoded.ToArray();
            });
            Log.Info(string.Create(CultureInfo.InvariantCulture, $"{label}: {size} distinct photos made from {decoded.Length} base photos ({photos.Average(p => p.Length) / 1e6:F2} MB mean)"));
            return photos;
        }
        finally
        {
            foreach (var d in decoded)
            {
                d.Dispose();
            }
        }
    }

    /// <summary>The photos from <paramref name="start"/> on, wrapping.</summary>
    private sealed class Window(byte[][] photos, int start) : IReadOnlyList<byte[]>
    {
        public byte[] this[int index] => photos[(start + index) % photos.Length];

        public int Count => int.MaxValue;

        public IEnumerator<byte[]> GetEnumerator() => Enumerable.Range(0, photos.Length).Select(i => this[i]).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
