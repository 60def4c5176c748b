using Detector.Modules.Variants.Quantization;

namespace Detector.Tests.Unit.Variants;

public sealed class QuantParamsTests
{
    [Theory]
    [InlineData(-1.5f, 4.0f)]
    [InlineData(0.2f, 3.0f)]
    [InlineData(-7.0f, -0.5f)]
    public void An_activation_range_always_represents_zero_exactly(float min, float max)
    {
        var (scale, zeroPoint) = QuantParams.Activation(min, max);

        Assert.Equal(0f, (QuantParams.QuantizeUInt8(0f, scale, zeroPoint) - zeroPoint) * scale);
        Assert.InRange(QuantParams.QuantizeUInt8(Math.Max(max, 0), scale, zeroPoint), 254, 255);
        Assert.InRange(QuantParams.QuantizeUInt8(Math.Min(min, 0), scale, zeroPoint), 0, 1);
    }

    [Fact]
    public void Pixel_values_0_to_255_are_quantized_without_loss()
    {
        var (scale, zeroPoint) = QuantParams.Activation(0, 255);

        Assert.Equal((1f, (byte)0), (scale, zeroPoint));
        Assert.All(Enumerable.Range(0, 256), v => Assert.Equal(v, QuantParams.QuantizeUInt8(v, scale, zeroPoint)));
    }

    [Fact]
    public void Weights_are_symmetric_per_output_channel_with_each_channels_largest_magnitude_at_127()
    {
        float[] weights = [0.5f, -1.0f, 0.25f, 0.0f, /* channel 1 */ 10f, 5f, -2.5f, 0f, /* channel 2: all zero */ 0, 0, 0, 0];

        var (values, scales) = QuantParams.WeightsPerChannel(weights, 3);

        Assert.Equal([1.0f / 127, 10f / 127, 1f], scales);
        Assert.Equal<sbyte>([64, -127, 32, 0, 127, 64, -32, 0, 0, 0, 0, 0], values); // 63.5 and 31.75 round half to even / nearest
    }

    [Fact]
    public void A_bias_is_int32_at_input_scale_times_weight_scale()
    {
        var (values, scales) = QuantParams.Bias([1.0f, -0.5f], 0.5f, [0.01f, 0.1f]);

        Assert.Equal([0.005f, 0.05f], scales);
        Assert.Equal([200, -10], values);
    }
}
