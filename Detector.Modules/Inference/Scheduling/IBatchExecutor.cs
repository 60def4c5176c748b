namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One executor slot: a batch input buffer, a model run, and per-image outputs. The scheduler
/// only sees this, so its tests run without ONNX Runtime.
/// </summary>
internal interface IBatchExecutor
{
    int MaxBatch { get; }

    /// <summary>Runtime threads one run uses (cores it takes from the <see cref="CoreBudget"/>).</summary>
    int Threads => 1;

    int InputLength { get; }

    /// <summary>Floats per image when all outputs are packed back to back.</summary>
    int OutputLength { get; }

    Span<float> InputSlot(int index);

    void Run(int batchSize);

    void CopyOutput(int index, Span<float> destination);

    /// <summary>Replaces whatever a failed run may have left broken (the session); may throw, and is tried again later then.</summary>
    void Recover()
    {
    }
}

/// <summary>What a request learns about the batch it ran in.</summary>
/// <param name="Threads">Runtime threads the run held (the executor's cores), for the request's share of compute.</param>
internal readonly record struct BatchInfo(int BatchSize, double QueueMs, double InferenceMs, int Threads = 1);
