using Detector.Modules.Inference.Scheduling;
using Microsoft.ML.OnnxRuntime;

namespace Detector.Modules.Inference.Runtime;

/// <summary>
/// One executor slot: its own session, pinned input and output buffers sized for the largest
/// batch, and an OrtValue view per batch size created on first use: a batch run allocates
/// nothing. <see cref="Recover"/> replaces the session (and the bindings made on it) after a
/// failed run, keeping the buffers.
/// </summary>
internal sealed class OrtBatchSlot : IBatchExecutor, IDisposable
{
    private readonly OrtModelRunner _runner;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[] _input;
    private readonly float[][] _outputs;
    private readonly OrtValue[]?[] _inputValues;
    private readonly OrtValue[]?[] _outputValues;
    private readonly OrtIoBinding?[] _bindings;
    private readonly long[] _inputShape;
    private readonly int _intraOpThreads;
    private InferenceSession? _session;

    public OrtBatchSlot(OrtModelRunner runner, int maxBatch, int intraOpThreads)
    {
        _runner = runner;
        _intraOpThreads = intraOpThreads;
        Threads = intraOpThreads > 0 ? intraOpThreads : Environment.ProcessorCount;
        _session = runner.CreateSession(intraOpThreads);
        var p = runner.Manifest.Preprocess;
        MaxBatch = maxBatch;
        InputLength = 3 * p.Width * p.Height;
        OutputLength = runner.Layout.TotalPerImage;
        _inputShape = [1, 3, p.Height, p.Width];
        _inputNames = [runner.Manifest.InputName];
        _outputNames = [.. runner.Layout.Names];
        _input = GC.AllocateArray<float>(InputLength * maxBatch, pinned: true);
        _outputs = new float[_outputNames.Length][];
        for (var i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = GC.AllocateArray<float>(runner.Layout.PerImageLengths[i] * maxBatch, pinned: true);
        }

        _inputValues = new OrtValue[]?[maxBatch + 1];
        _outputValues = new OrtValue[]?[maxBatch + 1];
        _bindings = new OrtIoBinding?[maxBatch + 1];
    }

    public int MaxBatch { get; }

    public int Threads { get; }

    public int InputLength { get; }

    public int OutputLength { get; }

    public Span<float> InputSlot(int index) => _input.AsSpan(index * InputLength, InputLength);

    /// <summary>
    /// Runs through an IoBinding made once per batch size: the name/value Run overload builds
    /// fresh native arrays on every call, a binding does not.
    /// </summary>
    public void Run(int batchSize)
    {
        var binding = _bindings[batchSize] ??= CreateBinding(batchSize);
        (_session ?? throw new InvalidOperationException("The slot's session is being recreated.")).RunWithBinding(_runOptions, binding);
    }

    /// <summary>
    /// A new session in place of one that failed (a poisoned GPU context stays poisoned), with
    /// fresh bindings; the old session is released first so a GPU never holds both.
    /// </summary>
    public void Recover()
    {
        DisposeBindings();
        _session?.Dispose();
        _session = null; // a failed CreateSession leaves none, not a disposed one
        _session = _runner.CreateSession(_intraOpThreads);
    }

    private OrtIoBinding CreateBinding(int n)
    {
        var inputs = _inputValues[n] = [CreateInput(n)];
        var outputs = _outputValues[n] = CreateOutputs(n);
        var binding = (_session ?? throw new InvalidOperationException("The slot's session is being recreated.")).CreateIoBinding();
        binding.BindInput(_inputNames[0], inputs[0]);
        for (var i = 0; i < outputs.Length; i++)
        {
            binding.BindOutput(_outputNames[i], outputs[i]);
        }

        return binding;
    }

    public void CopyOutput(int index, Span<float> destination)
    {
        var layout = _runner.Layout;
        for (var o = 0; o < _outputs.Length; o++)
        {
            var len = layout.PerImageLengths[o];
            _outputs[o].AsSpan(index * len, len).CopyTo(destination.Slice(layout.Offsets[o], len));
        }
    }

    private OrtValue CreateInput(int n)
    {
        var shape = (long[])_inputShape.Clone();
        shape[0] = n;
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, n * InputLength), shape);
    }

    private OrtValue[] CreateOutputs(int n)
    {
        var layout = _runner.Layout;
        var values = new OrtValue[_outputs.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var shape = (long[])layout.Shapes[i].Clone();
            shape[0] = n;
            values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _outputs[i].AsMemory(0, n * layout.PerImageLengths[i]), shape);
        }

        return values;
    }

    public void Dispose()
    {
        DisposeBindings();
        _session?.Dispose();
        _runOptions.Dispose();
    }

    private void DisposeBindings()
    {
        for (var n = 0; n < _bindings.Length; n++)
        {
            _bindings[n]?.Dispose();
            _bindings[n] = null;
            foreach (var v in _inputValues[n] ?? [])
            {
                v.Dispose();
            }

            foreach (var v in _outputValues[n] ?? [])
            {
                v.Dispose();
            }

            _inputValues[n] = null;
            _outputValues[n] = null;
        }
    }
}
