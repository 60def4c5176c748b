using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Detector.Modules.Variants.Graph;

/// <summary>Reads and writes ONNX initializers (raw little-endian data, as exporters write them).</summary>
internal static class TensorCodec
{
    public static float[] ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != (int)DataType.Float)
        {
            throw new InvalidOperationException($"Initializer '{tensor.Name}' is {(DataType)tensor.DataType}, not float.");
        }

        return tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : [.. tensor.FloatData];
    }

    public static TensorProto Raw(string name, DataType type, ReadOnlySpan<long> dims, ReadOnlySpan<byte> raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(dims.ToArray());
        return tensor;
    }

    public static TensorProto Floats(string name, ReadOnlySpan<float> values, ReadOnlySpan<long> dims) =>
        Raw(name, DataType.Float, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto Halves(string name, ReadOnlySpan<Half> values, ReadOnlySpan<long> dims) =>
        Raw(name, DataType.Float16, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto Int64s(string name, ReadOnlySpan<long> values) =>
        Raw(name, DataType.Int64, [values.Length], MemoryMarshal.AsBytes(values));

    public static TensorProto Int32s(string name, ReadOnlySpan<int> values, ReadOnlySpan<long> dims) =>
        Raw(name, DataType.Int32, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto Scalar(string name, float value) => Floats(name, [value], []);

    public static TensorProto UInt8Scalar(string name, byte value) => Raw(name, DataType.Uint8, [], [value]);

    public static NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
