using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Detector.Modules.Variants.ExportVariant;

/// <summary>What the export measured, registered with the version.</summary>
/// <param name="SourceMsPerImage">Median per-image time of the float model, one thread, batch 1.</param>
/// <param name="VariantMsPerImage">The same for the variant, in the same rounds.</param>
/// <param name="OutputRelativeError">Mean over the calibration inputs of ||variant - float|| / ||float||, all outputs together.</param>
internal sealed record VariantMeasures(double SourceMsPerImage, double VariantMsPerImage, double OutputRelativeError)
{
    public double SpeedUp => SourceMsPerImage / VariantMsPerImage;
}

/// <summary>
/// Runs the float model and the variant in alternating rounds on one thread each (the machine's
/// noise falls on both), as the service runs them (all graph optimisations), and compares their
/// raw outputs on the calibration inputs.
/// </summary>
internal static class VariantMeasurement
{
    public static VariantMeasures Measure(string sourcePath, byte[] variant, IReadOnlyList<float[]> inputs, int width, int height, int rounds)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var source = new InferenceSession(sourcePath, options);
        using var candidate = new InferenceSession(variant, options);
        var inputName = source.InputMetadata.Keys.First();
        var values = inputs.Select(i => new DenseTensor<float>(i, [1, 3, height, width])).ToList();

        double error = 0;
        foreach (var value in values)
        {
            using var a = source.Run([NamedOnnxValue.CreateFromTensor(inputName, value)]);
            using var b = candidate.Run([NamedOnnxValue.CreateFromTensor(inputName, value)]);
            double diff = 0, norm = 0;
            foreach (var output in a)
            {
                var x = ((DenseTensor<float>)output.AsTensor<float>()).Buffer.Span;
                var y = ((DenseTensor<float>)b.First(o => o.Name == output.Name).AsTensor<float>()).Buffer.Span;
                for (var i = 0; i < x.Length; i++)
                {
                    diff += (x[i] - y[i]) * (double)(x[i] - y[i]);
                    norm += x[i] * (double)x[i];
                }
            }

            error += Math.Sqrt(diff / Math.Max(norm, 1e-30));
        }

        var times = new List<double>[] { [], [] };
        var sessions = new[] { source, candidate };
        for (var round = 0; round <= rounds; round++)
        {
            for (var s = 0; s < sessions.Length; s++)
            {
                var started = Stopwatch.GetTimestamp();
                foreach (var value in values)
                {
                    using var _ = sessions[s].Run([NamedOnnxValue.CreateFromTensor(inputName, value)]);
                }

                // Round 0 warms both sessions up and is not counted.
                if (round > 0)
                {
                    times[s].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds / values.Count);
                }
            }
        }

        return new VariantMeasures(Median(times[0]), Median(times[1]), error / values.Count);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
