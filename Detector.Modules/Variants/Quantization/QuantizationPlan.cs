using Detector.Modules.Variants.Graph;
using Onnx;

namespace Detector.Modules.Variants.Quantization;

/// <summary>What stays float, by the export's settings.</summary>
/// <param name="FloatHead">Convolutions from the input kept float (0: none).</param>
/// <param name="FloatTail">Convolutions before the outputs kept float (1: the detection head's last ones).</param>
/// <param name="FloatNodes">Node names kept float, whatever the depths say.</param>
internal sealed record FloatRegions(int FloatHead, int FloatTail, IReadOnlySet<string> FloatNodes);

/// <summary>
/// Which nodes run in int8 and which tensors get a QuantizeLinear/DequantizeLinear pair. Only
/// operators ONNX Runtime fuses into integer kernels are chosen (QLinearConv, QLinearAdd,
/// QLinearMul, QLinearSigmoid, QLinearLeakyRelu, QLinearConcat, QLinearGlobalAveragePool) or
/// runs on uint8 directly once its Q/DQ pair is dropped (pooling, resize and layout operators),
/// so the graph stays int8 between convolutions and the NHWC pass can drop the transposes.
/// </summary>
internal sealed class QuantizationPlan
{
    /// <summary>Operators whose output takes their input's scale and zero point: they only move or select values.</summary>
    public static readonly IReadOnlySet<string> PassThrough = new HashSet<string>(StringComparer.Ordinal) { "MaxPool", "Resize", "Transpose", "Reshape", "Slice", "Split", "Flatten" };

    private static readonly HashSet<string> Arithmetic = new(StringComparer.Ordinal) { "Conv", "Add", "Mul", "Concat", "Sigmoid", "LeakyRelu", "Relu", "GlobalAveragePool" };

    private QuantizationPlan(HashSet<NodeProto> nodes, IReadOnlyList<string> tensors)
    {
        Nodes = nodes;
        Tensors = tensors;
    }

    /// <summary>Nodes that run quantized.</summary>
    public IReadOnlySet<NodeProto> Nodes { get; }

    /// <summary>Float activations that get a Q/DQ pair, in graph order: what calibration measures.</summary>
    public IReadOnlyList<string> Tensors { get; }

    public static QuantizationPlan For(OnnxGraph graph, FloatRegions regions)
    {
        var keep = GraphRegions.Tail(graph, regions.FloatTail);
        keep.UnionWith(GraphRegions.Head(graph, regions.FloatHead));
        var nodes = graph.Proto.Node
            .Where(n => (Arithmetic.Contains(n.OpType) || PassThrough.Contains(n.OpType)) && !keep.Contains(n) && !regions.FloatNodes.Contains(n.Name))
            .Where(n => graph.IsFloatActivation(n.Input[0]))
            .ToHashSet(ReferenceEqualityComparer.Instance as IEqualityComparer<NodeProto>);

        var tensors = new List<string>();
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        void Consider(string tensor, bool producedQuantized)
        {
            if (graph.IsFloatActivation(tensor) && (producedQuantized || graph.ConsumersOf(tensor).Any(c => nodes.Contains(c) && DataInputs(c).Contains(tensor))) && chosen.Add(tensor))
            {
                tensors.Add(tensor);
            }
        }

        foreach (var input in graph.Proto.Input)
        {
            Consider(input.Name, producedQuantized: false);
        }

        foreach (var node in graph.Proto.Node)
        {
            foreach (var output in node.Output)
            {
                Consider(output, nodes.Contains(node));
            }
        }

        return new QuantizationPlan(nodes, tensors);
    }

    /// <summary>The inputs that carry data (not weights, shapes, sizes or scales).</summary>
    public static IEnumerable<string> DataInputs(NodeProto node) => node.OpType switch
    {
        "Add" or "Mul" or "Concat" => node.Input,
        _ => node.Input.Take(1),
    };
}
