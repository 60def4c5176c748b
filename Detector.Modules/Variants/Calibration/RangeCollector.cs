using Detector.Modules.Variants.Quantization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Detector.Modules.Variants.Calibration;

/// <summary>How a tensor's range is read from its calibration values.</summary>
/// <param name="Percentile">100: the plain min and max; below: each tail clipped to that share of the values (99.999 keeps all but 1 in 100,000 on either side).</param>
internal sealed record CalibrationMethod(double Percentile)
{
    public override string ToString() => Percentile >= 100 ? "minmax" : $"percentile:{Percentile:R}";
}

/// <summary>
/// Runs the float model on the calibration set with every planned tensor as an extra output and
/// reads each tensor's range. One thread and no graph optimisation, so the values (and the
/// ranges, and the exported bytes) are the same on every run and machine with this runtime.
/// </summary>
internal static class RangeCollector
{
    private const int Bins = 4096;

    public static Dictionary<string, ActivationRange> Collect(ModelProto model, IReadOnlyList<string> tensors, CalibrationSet set, int width, int height, CalibrationMethod method)
    {
        var probe = model.Clone();
        var outputs = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in tensors.Where(t => !outputs.Contains(t)))
        {
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = tensor,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        var inputName = model.Graph.Input[0].Name;
        var min = tensors.ToDictionary(t => t, _ => float.PositiveInfinity, StringComparer.Ordinal);
        var max = tensors.ToDictionary(t => t, _ => float.NegativeInfinity, StringComparer.Ordinal);
        Run(session, inputName, tensors, set, width, height, (name, values) =>
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            foreach (var v in values)
            {
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }

            min[name] = Math.Min(min[name], lo);
            max[name] = Math.Max(max[name], hi);
        });
        if (method.Percentile >= 100)
        {
            return tensors.ToDictionary(t => t, t => new ActivationRange(min[t], max[t]), StringComparer.Ordinal);
        }

        var histograms = tensors.ToDictionary(t => t, _ => new long[Bins], StringComparer.Ordinal);
        Run(session, inputName, tensors, set, width, height, (name, values) =>
        {
            var (lo, width0) = (min[name], (max[name] - min[name]) / Bins);
            if (width0 <= 0)
            {
                return;
            }

            var histogram = histograms[name];
            foreach (var v in values)
            {
                histogram[Math.Clamp((int)((v - lo) / width0), 0, Bins - 1)]++;
            }
        });
        return tensors.ToDictionary(t => t, t => Clip(histograms[t], min[t], max[t], method.Percentile), StringComparer.Ordinal);
    }

    private static void Run(InferenceSession session, string inputName, IReadOnlyList<string> tensors, CalibrationSet set, int width, int height, Action<string, ReadOnlySpan<float>> visit)
    {
        using var runOptions = new RunOptions();
        foreach (var input in set.Inputs)
        {
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, [1, 3, height, width]))], tensors, runOptions);
            foreach (var result in results)
            {
                visit(result.Name, ((DenseTensor<float>)result.AsTensor<float>()).Buffer.Span);
            }
        }
    }

    /// <summary>The range that leaves (100 - percentile)% of the values outside on each side.</summary>
    private static ActivationRange Clip(long[] histogram, float min, float max, double percentile)
    {
        var total = histogram.Sum();
        var width = (max - min) / Bins;
        if (total == 0 || width <= 0)
        {
            return new ActivationRange(min, max);
        }

        var tail = total * (100 - percentile) / 100;
        int low = 0, high = Bins - 1;
        for (long seen = histogram[low]; seen < tail && low < Bins - 1; seen += histogram[++low])
        {
        }

        for (long seen = histogram[high]; seen < tail && high > 0; seen += histogram[--high])
        {
        }

        return new ActivationRange(min + low * width, min + (high + 1) * width);
    }
}
