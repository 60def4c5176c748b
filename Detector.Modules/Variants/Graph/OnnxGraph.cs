using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Detector.Modules.Variants.Graph;

/// <summary>
/// A read-only view of a graph for rewriting: who produces and who consumes each tensor, which
/// tensors are constants, and every tensor's element type (propagated forward, since exporters
/// leave most intermediate types undeclared). Built once per pass; a rewrite builds a new one.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DataType> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, int> _index = new(ReferenceEqualityComparer.Instance);

    public OnnxGraph(GraphProto graph)
    {
        Proto = graph;
        Initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            _types[initializer.Name] = (DataType)initializer.DataType;
        }

        foreach (var input in graph.Input)
        {
            _types.TryAdd(input.Name, (DataType)input.Type.TensorType.ElemType);
        }

        // Nodes of a valid graph are in topological order, so one forward pass types every output.
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            _index[node] = i;
            foreach (var input in node.Input.Where(n => n.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }

                list.Add(node);
            }

            var type = node.OpType switch
            {
                "Shape" or "NonZero" => DataType.Int64,
                "Cast" => (DataType)node.Attribute.First(a => a.Name == "to").I,
                "Constant" => (DataType)(node.Attribute.FirstOrDefault(a => a.Name == "value")?.T.DataType ?? (int)DataType.Undefined),
                _ => node.Input.Count > 0 && _types.TryGetValue(node.Input[0], out var first) ? first : DataType.Undefined,
            };
            foreach (var output in node.Output)
            {
                _types[output] = type;
            }
        }
    }

    public GraphProto Proto { get; }

    public IReadOnlyDictionary<string, TensorProto> Initializers { get; }

    public IReadOnlyList<NodeProto> ConsumersOf(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

    public int IndexOf(NodeProto node) => _index[node];

    public DataType TypeOf(string tensor) => _types.GetValueOrDefault(tensor, DataType.Undefined);

    /// <summary>A float tensor computed at run time (not an initializer): what calibration measures.</summary>
    public bool IsFloatActivation(string tensor) =>
        tensor.Length > 0 && !Initializers.ContainsKey(tensor) && TypeOf(tensor) == DataType.Float;
}
