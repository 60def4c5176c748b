using Detector.Modules.Variants.Graph;
using Onnx;

namespace Detector.Modules.Variants.Quantization;

/// <summary>
/// Per-channel QuantizeLinear/DequantizeLinear (their <c>axis</c>) need opset 13. Between 11 and 13
/// only Split changes for the graphs served here (its sizes move from an attribute to an input);
/// any other operator whose signature changed refuses the upgrade rather than guess.
/// </summary>
internal static class OpsetUpgrade
{
    public const int Target = 13;

    // Operators whose inputs or attributes changed between opsets 11 and 13 and that this upgrade does not rewrite.
    private static readonly HashSet<string> Unhandled = ["Squeeze", "Unsqueeze", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax", "Pad"];

    public static void Apply(ModelProto model)
    {
        var current = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(Target).Max();
        model.IrVersion = Math.Max(model.IrVersion, 7);
        // ORT's optimizer lists every domain it knows; the rewritten graph uses the default one only.
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Math.Max(current, Target) });
        if (current >= Target)
        {
            return;
        }

        if (current < 11)
        {
            throw new VariantExportException($"The model is opset {current}; the export upgrades from opset 11 or later only.");
        }

        var graph = model.Graph;
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Split" && node.Attribute.FirstOrDefault(a => a.Name == "split") is { } sizes)
            {
                node.Attribute.Remove(sizes);
                var name = node.Name + "_split_sizes";
                graph.Initializer.Add(TensorCodec.Int64s(name, sizes.Ints.ToArray()));
                node.Input.Add(name);
            }
            else if (Unhandled.Contains(node.OpType))
            {
                throw new VariantExportException($"Node '{node.Name}' ({node.OpType}) changed between opset {current} and {Target}; this export does not upgrade it.");
            }
        }
    }
}
