using Detector.Modules.Variants.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Detector.Modules.Variants.Quantization;

/// <summary>A tensor's calibrated range.</summary>
internal readonly record struct ActivationRange(float Min, float Max);

/// <summary>
/// Writes the static QDQ model: a QuantizeLinear/DequantizeLinear pair after every planned
/// tensor (its consumers read the dequantized copy), int8 per-channel weights and int32 biases
/// behind DequantizeLinear for quantized convolutions, uint8 constants for quantized Add, Mul and
/// Concat. ONNX Runtime then fuses each DQ -> op -> Q group into one integer kernel. Names derive
/// from the tensors' own and initializers are sorted, so the same inputs give the same bytes.
/// </summary>
internal static class QdqRewriter
{
    private sealed record Params(string Scale, string ZeroPoint, float Value);

    public static void Apply(ModelProto model, QuantizationPlan plan, IReadOnlyDictionary<string, ActivationRange> ranges)
    {
        var graph = model.Graph;
        var view = new OnnxGraph(graph);
        var planned = plan.Tensors.ToHashSet(StringComparer.Ordinal);
        var parameters = new Dictionary<string, Params>(StringComparer.Ordinal);
        Params Add(string tensor, float scale, byte zeroPoint)
        {
            graph.Initializer.Add(TensorCodec.Scalar(tensor + "_scale", scale));
            graph.Initializer.Add(TensorCodec.UInt8Scalar(tensor + "_zero_point", zeroPoint));
            return new Params(tensor + "_scale", tensor + "_zero_point", scale);
        }

        Params FromRange(string tensor)
        {
            var range = ranges.TryGetValue(tensor, out var r) ? r : throw new VariantExportException($"No calibrated range for '{tensor}'.");
            var (scale, zeroPoint) = QuantParams.Activation(range.Min, range.Max);
            return Add(tensor, scale, zeroPoint);
        }

        // In graph order, so a pass-through node's input already has its parameters to share
        // (ONNX Runtime drops such a node's Q/DQ pair only when both sides match exactly).
        foreach (var input in graph.Input.Where(i => planned.Contains(i.Name)))
        {
            parameters[input.Name] = FromRange(input.Name);
        }

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output.Where(planned.Contains))
            {
                parameters[output] = QuantizationPlan.PassThrough.Contains(node.OpType) && plan.Nodes.Contains(node) && parameters.TryGetValue(node.Input[0], out var shared)
                    ? shared
                    : FromRange(output);
            }
        }

        var rewritten = new List<NodeProto>();
        var dequantized = new Dictionary<string, string>(StringComparer.Ordinal);
        void Pair(string tensor)
        {
            var p = parameters[tensor];
            rewritten.Add(TensorCodec.Node("QuantizeLinear", tensor + "_QuantizeLinear", [tensor, p.Scale, p.ZeroPoint], [tensor + "_quantized"]));
            rewritten.Add(TensorCodec.Node("DequantizeLinear", tensor + "_DequantizeLinear", [tensor + "_quantized", p.Scale, p.ZeroPoint], [tensor + "_dequantized"]));
            dequantized[tensor] = tensor + "_dequantized";
        }

        foreach (var input in graph.Input.Where(i => planned.Contains(i.Name)))
        {
            Pair(input.Name);
        }

        var replaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (plan.Nodes.Contains(node) && node.OpType == "Conv" && parameters.TryGetValue(node.Input[0], out var input))
            {
                QuantizeConvConstants(graph, view, node, input.Value, rewritten, replaced);
            }
            else if (plan.Nodes.Contains(node) && node.OpType is "Add" or "Mul" or "Concat")
            {
                QuantizeOperandConstants(graph, view, node, rewritten, replaced, Add);
            }

            for (var i = 0; i < node.Input.Count; i++)
            {
                if (dequantized.TryGetValue(node.Input[i], out var copy))
                {
                    node.Input[i] = copy;
                }
            }

            rewritten.Add(node);
            foreach (var output in node.Output.Where(planned.Contains))
            {
                Pair(output);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var initializers = graph.Initializer.Where(t => !replaced.Contains(t.Name) || used.Contains(t.Name)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
    }

    private static void QuantizeConvConstants(GraphProto graph, OnnxGraph view, NodeProto conv, float inputScale, List<NodeProto> rewritten, HashSet<string> replaced)
    {
        if (!view.Initializers.TryGetValue(conv.Input[1], out var weight))
        {
            return;
        }

        var channels = (int)weight.Dims[0];
        var (values, scales) = QuantParams.WeightsPerChannel(TensorCodec.ReadFloats(weight), channels);
        Dequantize(graph, rewritten, weight.Name, DataType.Int8, weight.Dims.ToArray(), System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), scales, new byte[channels]);
        conv.Input[1] = weight.Name + "_dequantized";
        replaced.Add(weight.Name);
        if (conv.Input.Count > 2 && view.Initializers.TryGetValue(conv.Input[2], out var bias))
        {
            var (biasValues, biasScales) = QuantParams.Bias(TensorCodec.ReadFloats(bias), inputScale, scales);
            Dequantize(graph, rewritten, bias.Name, DataType.Int32, [channels], System.Runtime.InteropServices.MemoryMarshal.AsBytes(biasValues.AsSpan()).ToArray(), biasScales, new byte[channels * 4]);
            conv.Input[2] = bias.Name + "_dequantized";
            replaced.Add(bias.Name);
        }
    }

    private static void Dequantize(GraphProto graph, List<NodeProto> rewritten, string name, DataType type, long[] dims, byte[] raw, float[] scales, byte[] zeroPoints)
    {
        graph.Initializer.Add(TensorCodec.Raw(name + "_quantized", type, dims, raw));
        graph.Initializer.Add(TensorCodec.Floats(name + "_scale", scales, [scales.Length]));
        graph.Initializer.Add(TensorCodec.Raw(name + "_zero_point", type, [scales.Length], zeroPoints));
        rewritten.Add(TensorCodec.Node("DequantizeLinear", name + "_DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"], [name + "_dequantized"], TensorCodec.Int("axis", 0)));
    }

    private static void QuantizeOperandConstants(GraphProto graph, OnnxGraph view, NodeProto node, List<NodeProto> rewritten, HashSet<string> replaced, Func<string, float, byte, Params> add)
    {
        for (var i = 0; i < node.Input.Count; i++)
        {
            if (!view.Initializers.TryGetValue(node.Input[i], out var constant) || constant.DataType != (int)DataType.Float)
            {
                continue;
            }

            var quantizedName = constant.Name + "_quantized";
            if (!graph.Initializer.Any(t => t.Name == quantizedName))
            {
                var values = TensorCodec.ReadFloats(constant);
                var (scale, zeroPoint) = QuantParams.Activation(values.Min(), values.Max());
                var p = add(constant.Name, scale, zeroPoint);
                graph.Initializer.Add(TensorCodec.Raw(quantizedName, DataType.Uint8, constant.Dims.ToArray(), values.Select(v => QuantParams.QuantizeUInt8(v, scale, zeroPoint)).ToArray()));
                rewritten.Add(TensorCodec.Node("DequantizeLinear", constant.Name + "_DequantizeLinear", [quantizedName, p.Scale, p.ZeroPoint], [constant.Name + "_dequantized"]));
            }

            node.Input[i] = constant.Name + "_dequantized";
            replaced.Add(constant.Name);
        }
    }
}
