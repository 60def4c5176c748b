namespace Detector.Modules.Inference.Scheduling;

internal sealed record SchedulerSettings(int MaxBatchSize, TimeSpan MaxDelay, int QueueCapacity)
{
    /// <summary>Budget of an interactive request without a deadline (admission by expected completion); zero admits up to QueueCapacity.</summary>
    public TimeSpan SyncBudget { get; init; }

    /// <summary>Part of QueueCapacity background work may hold, so interactive requests always find room.</summary>
    public double BackgroundShare { get; init; } = 1.0;

    /// <summary>Largest batch for 0 (auto) on a GPU: enough images per launch to fill small-model kernels.</summary>
    public const int GpuAutoBatch = 32;

    /// <summary>Largest batch for 0 (auto) on CPU with multi-threaded runs, where batches of 4 already take most of the gain.</summary>
    public const int CpuMultiThreadedAutoBatch = 4;

    public static SchedulerSettings For(string model, InferenceOptions options, bool onCpu)
    {
        options.PerModel.TryGetValue(model, out var o);
        var maxBatch = o?.MaxBatchSize ?? options.MaxBatchSize;
        if (maxBatch <= 0)
        {
            // Auto: a single-threaded CPU run costs the same per image at any batch size, so
            // batching would only add latency; multi-threaded runs and GPUs gain from batches.
            maxBatch = !onCpu ? GpuAutoBatch : options.IntraOpThreads == 1 ? 1 : CpuMultiThreadedAutoBatch;
        }

        return new SchedulerSettings(
            maxBatch,
            TimeSpan.FromMilliseconds(o?.MaxBatchDelayMs ?? options.MaxBatchDelayMs),
            o?.QueueCapacity ?? options.QueueCapacity)
        {
            SyncBudget = TimeSpan.FromMilliseconds(o?.SyncBudgetMs ?? options.SyncBudgetMs),
            BackgroundShare = options.BackgroundQueueShare,
        };
    }

    /// <summary>
    /// Executor slots for a model: the configured number, or for 0 (auto) what its provider
    /// uses best. On CPU that is one run per core its intra-op threads leave free
    /// (cores / IntraOpThreads, so single-threaded runs get a core each and ONNX Runtime's
    /// default of all cores gets one slot); on a GPU two, so one batch's copies overlap the
    /// other's kernels.
    /// </summary>
    public static int SlotsFor(string model, InferenceOptions options, bool onCpu, int cores)
    {
        var configured = options.PerModel.TryGetValue(model, out var o) && o.ExecutorSlots is { } s ? s : options.ExecutorSlots;
        if (configured > 0)
        {
            return configured;
        }

        if (!onCpu)
        {
            return 2;
        }

        var threadsPerRun = options.IntraOpThreads > 0 ? options.IntraOpThreads : cores;
        return Math.Max(1, cores / threadsPerRun);
    }
}
