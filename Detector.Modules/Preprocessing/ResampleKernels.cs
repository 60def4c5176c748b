using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Detector.Modules.Preprocessing;

/// <summary>
/// The inner loops of Pillow's bilinear resize: one output pixel of the horizontal pass, one
/// output row of the vertical pass, each as a scalar kernel and an SSE4.1 kernel that must agree
/// bit for bit (integer arithmetic throughout; tested on every orientation and odd sizes).
/// </summary>
internal static unsafe class ResampleKernels
{
    /// <summary>Fixed-point bits of the weights (Pillow's PRECISION_BITS for 8-bit images).</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void HorizontalPixelScalar(byte* p, int stepX, int* w, int count, byte* output)
    {
        const int Half = 1 << (PrecisionBits - 1);
        int s0 = Half, s1 = Half, s2 = Half;
        for (var i = 0; i < count; i++, p += stepX)
        {
            s0 += p[0] * w[i];
            s1 += p[1] * w[i];
            s2 += p[2] * w[i];
        }

        output[0] = Clip8(s0);
        output[1] = Clip8(s1);
        output[2] = Clip8(s2);
    }

    /// <summary>
    /// The same sums four channels at a time: each tap's RGBA pixel widened to four int32 lanes.
    /// Integer arithmetic, so the result equals the scalar kernel exactly. Stores RGBx; the next
    /// pixel overwrites the x (the buffer has slack for the last one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void HorizontalPixelSse41(byte* p, int stepX, int* w, int count, byte* output)
    {
        var acc = Vector128.Create(1 << (PrecisionBits - 1));
        for (var i = 0; i < count; i++, p += stepX)
        {
            acc = Sse2.Add(acc, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p), Vector128.Create(w[i])));
        }

        var shorts = Sse2.PackSignedSaturate(Sse2.ShiftRightArithmetic(acc, PrecisionBits), acc);
        *(int*)output = Sse2.PackUnsignedSaturate(shorts, shorts).AsInt32().ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void VerticalRowScalar(byte* top, int rowBytes, int* w, int count, byte* output)
    {
        const int Half = 1 << (PrecisionBits - 1);
        for (var j = 0; j < rowBytes; j++)
        {
            var sum = Half;
            var p = top + j;
            for (var i = 0; i < count; i++, p += rowBytes)
            {
                sum += *p * w[i];
            }

            output[j] = Clip8(sum);
        }
    }

    /// <summary>The same sums eight bytes at a time (reads and writes up to 7 bytes of slack past the row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void VerticalRowSse41(byte* top, int rowBytes, int* w, int count, byte* output)
    {
        var half = Vector128.Create(1 << (PrecisionBits - 1));
        for (var j = 0; j < rowBytes; j += 8)
        {
            Vector128<int> lo = half, hi = half;
            var p = top + j;
            for (var i = 0; i < count; i++, p += rowBytes)
            {
                var weight = Vector128.Create(w[i]);
                lo = Sse2.Add(lo, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p), weight));
                hi = Sse2.Add(hi, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p + 4), weight));
            }

            var shorts = Sse2.PackSignedSaturate(Sse2.ShiftRightArithmetic(lo, PrecisionBits), Sse2.ShiftRightArithmetic(hi, PrecisionBits));
            *(long*)(output + j) = Sse2.PackUnsignedSaturate(shorts, shorts).AsInt64().ToScalar();
        }
    }

    private static byte Clip8(int value)
    {
        var v = value >> PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }
}
