using Onnx;

namespace Detector.Modules.Variants.Graph;

/// <summary>
/// Regions counted in convolutions from the ends of a graph. A detector's accuracy is most
/// sensitive at both ends: the first convolution sees raw pixels, the last ones write box
/// coordinates and scores. Depth N means every node with at most N convolutions between it and
/// the graph's input (head) or output (tail), the node itself included.
/// </summary>
internal static class GraphRegions
{
    /// <summary>Nodes with at most <paramref name="depth"/> convolutions on every path to an output. Nodes after the last convolutions are always in it.</summary>
    public static HashSet<NodeProto> Tail(OnnxGraph graph, int depth)
    {
        var nodes = graph.Proto.Node;
        var below = new int[nodes.Count];
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            var deepest = nodes[i].Output.SelectMany(graph.ConsumersOf).Select(c => below[graph.IndexOf(c)]).DefaultIfEmpty(0).Max();
            below[i] = deepest + (nodes[i].OpType == "Conv" ? 1 : 0);
        }

        return nodes.Where((_, i) => below[i] <= depth).ToHashSet(ReferenceEqualityComparer.Instance as IEqualityComparer<NodeProto>);
    }

    /// <summary>Nodes with at most <paramref name="depth"/> convolutions on every path from an input; none when depth is 0.</summary>
    public static HashSet<NodeProto> Head(OnnxGraph graph, int depth)
    {
        var nodes = graph.Proto.Node;
        var above = new int[nodes.Count];
        var producedAt = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            var deepest = nodes[i].Input.Where(producedAt.ContainsKey).Select(t => above[producedAt[t]]).DefaultIfEmpty(0).Max();
            above[i] = deepest + (nodes[i].OpType == "Conv" ? 1 : 0);
            foreach (var output in nodes[i].Output)
            {
                producedAt[output] = i;
            }
        }

        return depth == 0 ? [] : nodes.Where((_, i) => above[i] <= depth).ToHashSet(ReferenceEqualityComparer.Instance as IEqualityComparer<NodeProto>);
    }
}
