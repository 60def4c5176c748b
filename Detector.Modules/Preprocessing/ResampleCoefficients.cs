using System.Buffers;

namespace Detector.Modules.Preprocessing;

/// <summary>Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter.</summary>
internal readonly struct ResampleCoefficients
{
    private ResampleCoefficients(int size, int[] bounds, int[] weights)
    {
        Size = size;
        Bounds = bounds;
        Weights = weights;
    }

    /// <summary>Taps per output pixel (the widest window).</summary>
    public int Size { get; }

    /// <summary>Per output pixel: first source index and tap count.</summary>
    public int[] Bounds { get; }

    public int[] Weights { get; }

    public static ResampleCoefficients Compute(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = filterScale;
        var size = ((int)Math.Ceiling(support) * 2) + 1;
        var bounds = ArrayPool<int>.Shared.Rent(2 * outSize);
        var weights = ArrayPool<int>.Shared.Rent(size * outSize);
        Span<double> k = stackalloc double[size];
        var inverse = 1.0 / filterScale;
        for (var o = 0; o < outSize; o++)
        {
            var center = (o + 0.5) * scale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double total = 0;
            for (var x = 0; x < xmax; x++)
            {
                var t = Math.Abs((x + xmin - center + 0.5) * inverse);
                k[x] = t < 1.0 ? 1.0 - t : 0.0;
                total += k[x];
            }

            var w = weights.AsSpan(o * size, size);
            w.Clear();
            for (var x = 0; x < xmax; x++)
            {
                var v = total != 0.0 ? k[x] / total : k[x];
                w[x] = v < 0 ? (int)(-0.5 + (v * (1 << ResampleKernels.PrecisionBits))) : (int)(0.5 + (v * (1 << ResampleKernels.PrecisionBits)));
            }

            bounds[2 * o] = xmin;
            bounds[(2 * o) + 1] = xmax;
        }

        return new ResampleCoefficients(size, bounds, weights);
    }

    public void Return()
    {
        ArrayPool<int>.Shared.Return(Bounds);
        ArrayPool<int>.Shared.Return(Weights);
    }
}
