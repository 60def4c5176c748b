using System.Buffers;
using System.Runtime.CompilerServices;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Preprocessing;

/// <summary>
/// One pass from decoded RGBA8888 pixels to the normalised CHW tensor: EXIF orientation, bilinear
/// resize, letterbox padding, channel order and mean/std, with no intermediate image.
/// The resize reproduces OpenCV's cv2.resize INTER_LINEAR for 8-bit images exactly (half-pixel
/// centres, edge clamping, 11-bit fixed-point weights, uint8 rounding), because the models were
/// evaluated on that and the reference mAP only holds for the same pixels.
/// </summary>
internal static unsafe class TensorWriter
{
    private const int CoefScale = 1 << 11;

    /// <param name="rgba">Decoded pixels in stored (un-oriented) layout, 4 bytes per pixel, R first.</param>
    /// <param name="orientation">EXIF orientation 1..8 to apply while sampling.</param>
    public static void Write(
        ReadOnlySpan<byte> rgba,
        int width,
        int height,
        int rowBytes,
        int orientation,
        PreprocessSpec spec,
        LetterboxGeometry geometry,
        Span<float> destination)
    {
        var plane = spec.Width * spec.Height;
        if (destination.Length != 3 * plane)
        {
            throw new ArgumentException($"Destination must hold 3*{spec.Width}*{spec.Height} floats.", nameof(destination));
        }

        // The sampler reads through raw pointers; every tap is clamped inside width x height, so this is the only check needed.
        if (width <= 0 || height <= 0 || rowBytes < width * 4 || rgba.Length < ((long)(height - 1) * rowBytes) + (width * 4))
        {
            throw new ArgumentException($"Pixel buffer of {rgba.Length} bytes does not hold {width}x{height} RGBA at {rowBytes} bytes a row.", nameof(rgba));
        }

        // Sampling the oriented image at (x, y) reads stored byte base + x*stepX + y*stepY,
        // so orientation costs nothing beyond the choice of steps.
        var last = (width - 1) * 4;
        var bottom = (height - 1) * rowBytes;
        var (origin, stepX, stepY) = orientation switch
        {
            2 => (last, -4, rowBytes),
            3 => (last + bottom, -4, -rowBytes),
            4 => (bottom, 4, -rowBytes),
            5 => (0, rowBytes, 4),
            6 => (bottom, -rowBytes, 4),
            7 => (last + bottom, -rowBytes, -4),
            8 => (last, rowBytes, -4),
            _ => (0, 4, rowBytes),
        };
        var (srcWidth, srcHeight) = orientation >= 5 ? (height, width) : (width, height);

        Span<int> channelByte = stackalloc int[3];
        if (spec.ColorOrder == ColorOrder.Bgr)
        {
            channelByte[0] = 2;
            channelByte[1] = 1;
            channelByte[2] = 0;
        }
        else
        {
            channelByte[0] = 0;
            channelByte[1] = 1;
            channelByte[2] = 2;
        }

        // The resize yields whole uint8 values, so normalisation is a 256-entry table per channel.
        Span<float> lut = stackalloc float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            var mean = spec.Mean[c];
            var std = spec.Std[c];
            for (var v = 0; v < 256; v++)
            {
                lut[(c * 256) + v] = (v - mean) / std;
            }
        }

        var nw = geometry.ResizedWidth;
        var nh = geometry.ResizedHeight;
        if (nw < spec.Width || nh < spec.Height)
        {
            for (var c = 0; c < 3; c++)
            {
                destination.Slice(c * plane, plane).Fill((spec.PadValue - spec.Mean[c]) / spec.Std[c]);
            }
        }

        var pool = ArrayPool<int>.Shared;
        var cols = pool.Rent(4 * nw);
        var rows = pool.Rent(4 * nh);
        try
        {
            BuildTaps(cols, nw, srcWidth, stepX, clampLikeColumns: true);
            BuildTaps(rows, nh, srcHeight, stepY, clampLikeColumns: false);

            fixed (byte* src = rgba)
            fixed (float* dst = destination)
            fixed (float* table = lut)
            fixed (int* colTaps = cols)
            fixed (int* rowTaps = rows)
            {
                WriteImage(src, dst, table, colTaps, rowTaps, origin, channelByte[0], channelByte[2], plane, spec.Width, geometry);
            }
        }
        finally
        {
            pool.Return(cols);
            pool.Return(rows);
        }
    }

    private static void WriteImage(
        byte* src, float* dst, float* lut, int* cols, int* rows, int origin, int first, int third, int plane, int stride, LetterboxGeometry geometry)
    {
        // Channel 1 is always green (byte 1); channels 0 and 2 swap between RGB and BGR.
        var lut0 = lut;
        var lut1 = lut + 256;
        var lut2 = lut + 512;
        for (var y = 0; y < geometry.ResizedHeight; y++)
        {
            var taps = rows + (4 * y);
            var row0 = src + origin + taps[0];
            var row1 = src + origin + taps[1];
            var b0 = taps[2];
            var b1 = taps[3];
            var out0 = dst + ((geometry.OffsetY + y) * stride) + geometry.OffsetX;
            var out1 = out0 + plane;
            var out2 = out1 + plane;
            var col = cols;
            for (var x = 0; x < geometry.ResizedWidth; x++, col += 4)
            {
                var p00 = row0 + col[0];
                var p01 = row0 + col[1];
                var p10 = row1 + col[0];
                var p11 = row1 + col[1];
                var a0 = col[2];
                var a1 = col[3];
                out0[x] = lut0[Sample(p00 + first, p01 + first, p10 + first, p11 + first, a0, a1, b0, b1)];
                out1[x] = lut1[Sample(p00 + 1, p01 + 1, p10 + 1, p11 + 1, a0, a1, b0, b1)];
                out2[x] = lut2[Sample(p00 + third, p01 + third, p10 + third, p11 + third, a0, a1, b0, b1)];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sample(byte* p00, byte* p01, byte* p10, byte* p11, int a0, int a1, int b0, int b1)
    {
        // OpenCV's VResizeLinear<uchar> specialisation, shifts included, so rounding matches to the bit.
        var h0 = (*p00 * a0) + (*p01 * a1);
        var h1 = (*p10 * a0) + (*p11 * a1);
        var v = (((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2;
        return Math.Min(v, 255);
    }

    /// <summary>Per output index: byte offset of the two source taps (relative to origin) and their 11-bit weights.</summary>
    private static void BuildTaps(int[] taps, int dstSize, int srcSize, int step, bool clampLikeColumns)
    {
        // OpenCV derives the step as 1 / (dst / src), not src / dst; the two differ in the last bit.
        var scale = 1.0 / ((double)dstSize / srcSize);
        for (var d = 0; d < dstSize; d++)
        {
            var f = (float)(((d + 0.5) * scale) - 0.5);
            var s = (int)MathF.Floor(f);
            f -= s;
            int s0, s1;
            if (clampLikeColumns)
            {
                // Columns outside the image snap to the edge pixel with weight one.
                if (s < 0)
                {
                    s = 0;
                    f = 0;
                }

                if (s >= srcSize - 1)
                {
                    s = srcSize - 1;
                    f = 0;
                }

                s0 = s;
                s1 = Math.Min(s + 1, srcSize - 1);
            }
            else
            {
                // Rows clamp each tap on its own and keep the fractional weight.
                s0 = Math.Clamp(s, 0, srcSize - 1);
                s1 = Math.Clamp(s + 1, 0, srcSize - 1);
            }

            taps[4 * d] = s0 * step;
            taps[(4 * d) + 1] = s1 * step;
            taps[(4 * d) + 2] = (short)MathF.Round((1f - f) * CoefScale);
            taps[(4 * d) + 3] = (short)MathF.Round(f * CoefScale);
        }
    }
}
