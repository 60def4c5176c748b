namespace Detector.Modules.Variants.Quantization;

/// <summary>
/// The integer mappings, with the conventions ONNX Runtime's own quantizer uses (round half to
/// even, as numpy.rint): activations uint8 asymmetric over a range that includes 0 (so zero
/// padding is exact), weights int8 symmetric per output channel in [-127, 127] (the U8S8 pair
/// the VNNI kernels take), biases int32 at input scale x weight scale.
/// </summary>
internal static class QuantParams
{
    public static (float Scale, byte ZeroPoint) Activation(float min, float max)
    {
        double lo = Math.Min(0, min), hi = Math.Max(0, max);
        if (hi - lo < 1e-12)
        {
            return (1f, 0);
        }

        var scale = (float)((hi - lo) / 255.0);
        return (scale, (byte)Math.Clamp(Math.Round(-lo / scale, MidpointRounding.ToEven), 0, 255));
    }

    public static byte QuantizeUInt8(float value, float scale, byte zeroPoint) =>
        (byte)Math.Clamp(Math.Round(value / (double)scale, MidpointRounding.ToEven) + zeroPoint, 0, 255);

    /// <summary>Per output channel (axis 0): int8 values and each channel's scale.</summary>
    public static (sbyte[] Values, float[] Scales) WeightsPerChannel(ReadOnlySpan<float> weights, int channels)
    {
        var perChannel = weights.Length / channels;
        var values = new sbyte[weights.Length];
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var slice = weights.Slice(c * perChannel, perChannel);
            double absMax = 0;
            foreach (var w in slice)
            {
                absMax = Math.Max(absMax, Math.Abs(w));
            }

            var scale = absMax == 0 ? 1f : (float)(absMax / 127.0);
            scales[c] = scale;
            for (var k = 0; k < perChannel; k++)
            {
                values[c * perChannel + k] = (sbyte)Math.Clamp(Math.Round(slice[k] / (double)scale, MidpointRounding.ToEven), -127, 127);
            }
        }

        return (values, scales);
    }

    public static (int[] Values, float[] Scales) Bias(ReadOnlySpan<float> bias, float inputScale, ReadOnlySpan<float> weightScales)
    {
        var values = new int[bias.Length];
        var scales = new float[bias.Length];
        for (var c = 0; c < bias.Length; c++)
        {
            scales[c] = inputScale * weightScales[c];
            values[c] = (int)Math.Clamp(Math.Round(bias[c] / (double)scales[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }

        return (values, scales);
    }
}
