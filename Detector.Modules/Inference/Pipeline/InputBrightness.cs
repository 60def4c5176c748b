using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Inference.Pipeline;

/// <summary>
/// The mean brightness (0..255, the mean of the three channels) of the photo as the model saw it,
/// read back from the normalised input tensor over the photo's own region (letterbox padding left
/// out), sampling every fourth pixel of every fourth row: about 11,000 pixels of a 416x416 input,
/// a few microseconds, for drift monitoring.
/// </summary>
internal static class InputBrightness
{
    private const int Step = 4;

    public static double Of(ReadOnlySpan<float> chw, PreprocessSpec spec, InputTransform transform)
    {
        int width = spec.Width, height = spec.Height, plane = width * height;
        var x0 = Math.Clamp((int)Math.Ceiling(transform.OffsetX), 0, width - 1);
        var y0 = Math.Clamp((int)Math.Ceiling(transform.OffsetY), 0, height - 1);
        var x1 = Math.Clamp((int)(transform.OffsetX + (transform.OriginalWidth * transform.ScaleX)), x0 + 1, width);
        var y1 = Math.Clamp((int)(transform.OffsetY + (transform.OriginalHeight * transform.ScaleY)), y0 + 1, height);
        double sum = 0;
        var count = 0;
        for (var c = 0; c < 3; c++)
        {
            float std = spec.Std[c], mean = spec.Mean[c];
            var channel = chw.Slice(c * plane, plane);
            for (var y = y0; y < y1; y += Step)
            {
                for (var x = x0; x < x1; x += Step)
                {
                    sum += (channel[(y * width) + x] * std) + mean;
                    count++;
                }
            }
        }

        return count == 0 ? 0 : Math.Clamp(sum / count, 0, 255);
    }
}
