using Detector.Modules.Variants.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Detector.Modules.Variants.HalfPrecision;

/// <summary>
/// The FP16 variant: float16 weights and compute, float32 inputs and outputs (a Cast at each end),
/// so callers and the pre- and post-processing contract see no difference. Values that an
/// operator requires as float32 whatever its data type (Resize's roi and scales) stay float32.
/// Stale intermediate type annotations are dropped; runtimes and checkers infer them again.
/// </summary>
internal static class HalfPrecisionConverter
{
    public static void Apply(ModelProto model)
    {
        var graph = model.Graph;
        var view = new OnnxGraph(graph);
        var keepFloat = graph.Node
            .Where(n => n.OpType is "Resize" or "Upsample")
            .SelectMany(n => n.Input.Skip(1))
            .ToHashSet(StringComparer.Ordinal);

        var initializers = graph.Initializer
            .Select(t => t.DataType == (int)DataType.Float && !keepFloat.Contains(t.Name) ? Half(t) : t)
            .ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);

        foreach (var node in graph.Node)
        {
            if (node.OpType == "Constant" && node.Attribute.FirstOrDefault(a => a.Name == "value") is { T.DataType: (int)DataType.Float } value && !node.Output.Any(keepFloat.Contains))
            {
                value.T = Half(value.T);
            }
            else if (node.OpType == "Cast" && node.Attribute.First(a => a.Name == "to") is { I: (long)DataType.Float } to)
            {
                to.I = (long)DataType.Float16;
            }
        }

        var nodes = new List<NodeProto>();
        foreach (var input in graph.Input.Where(i => view.IsFloatActivation(i.Name)))
        {
            var half = input.Name + "_fp16";
            nodes.Add(TensorCodec.Node("Cast", input.Name + "_to_fp16", [input.Name], [half], TensorCodec.Int("to", (long)DataType.Float16)));
            foreach (var consumer in view.ConsumersOf(input.Name))
            {
                Rename(consumer.Input, input.Name, half);
            }
        }

        nodes.AddRange(graph.Node);
        foreach (var output in graph.Output.Where(o => o.Type.TensorType.ElemType == (int)DataType.Float))
        {
            var half = output.Name + "_fp16";
            foreach (var node in graph.Node)
            {
                Rename(node.Output, output.Name, half);
                Rename(node.Input, output.Name, half);
            }

            nodes.Add(TensorCodec.Node("Cast", output.Name + "_to_fp32", [half], [output.Name], TensorCodec.Int("to", (long)DataType.Float)));
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        graph.ValueInfo.Clear();
    }

    private static void Rename(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == from)
            {
                names[i] = to;
            }
        }
    }

    private static TensorProto Half(TensorProto tensor)
    {
        var values = TensorCodec.ReadFloats(tensor);
        var halves = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            halves[i] = (Half)values[i];
        }

        return TensorCodec.Halves(tensor.Name, halves, tensor.Dims.ToArray());
    }
}
