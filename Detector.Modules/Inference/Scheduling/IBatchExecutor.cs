namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One executor slot: a batch input buffer, a model run, and per-image outputs. The scheduler
/// only sees this, so its tests run without ONNX Runtime.
/// </summary>
internal interface IBatchExecutor
{
    int MaxBatch { get; }

    int InputLength { get; }

    /// <summary>Floats per image when all outputs are packed back to back.</summary>
    int OutputLength { get; }

    Span<float> InputSlot(int index);

    void Run(int batchSize);

    void CopyOutput(int index, Span<float> destination);
}

/// <summary>What a request learns about the batch it ran in.</summary>
internal readonly record struct BatchInfo(int BatchSize, double QueueMs, double InferenceMs);
