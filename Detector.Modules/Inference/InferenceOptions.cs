using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Inference;

public enum ExecutionProviderKind
{
    /// <summary>CUDA when the runtime and a GPU are present, else CPU.</summary>
    Auto,
    Cpu,
    Cuda,
    TensorRt,
}

public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    public ExecutionProviderKind Provider { get; set; } = ExecutionProviderKind.Auto;

    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime use one per core.</summary>
    [Range(0, 512)]
    public int IntraOpThreads { get; set; }

    [Range(1, 64)]
    public int InterOpThreads { get; set; } = 1;

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin between operators. Spinning shaves a little
    /// latency off one run but burns the cores that decoding needs between runs.
    /// </summary>
    public bool AllowSpinning { get; set; } = true;

    /// <summary>ONNX Runtime graph optimisation: Disabled, Basic, Extended or All.</summary>
    [RegularExpression("^(Disabled|Basic|Extended|All)$")]
    public string GraphOptimization { get; set; } = "All";

    /// <summary>CUDA: exhaustive cuDNN convolution algorithm search (slower start, faster steady state).</summary>
    public bool CudnnExhaustiveSearch { get; set; } = true;

    /// <summary>CUDA: memory arena limit in bytes; 0 means no limit.</summary>
    [Range(0, long.MaxValue)]
    public long CudaArenaMaxBytes { get; set; }

    /// <summary>TensorRT: build FP16 engines.</summary>
    public bool TensorRtFp16 { get; set; }

    /// <summary>
    /// Largest batch the scheduler forms; 0 = auto: 32 on a GPU, on CPU 1 for single-threaded
    /// runs (IntraOpThreads 1, where batches cost per image what single images cost) and 4 otherwise.
    /// </summary>
    [Range(0, 256)]
    public int MaxBatchSize { get; set; }

    /// <summary>Longest the oldest queued request waits for a fuller batch while an executor is busy.</summary>
    [Range(0, 10_000)]
    public int MaxBatchDelayMs { get; set; } = 5;

    /// <summary>Requests admitted (preprocessing or queued) per model before new ones get 503.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 128;

    /// <summary>
    /// The budget of a sync request that names no deadline (X-Deadline-Ms): it is admitted when its
    /// expected completion (the measured work ahead of it plus its own run) fits, else refused at
    /// once (503 + Retry-After) before its body is read. 500 ms: a photo app's "instant" answer
    /// with room for a queue of several batches, and long enough that clients resending at once
    /// are mostly queued rather than refused (a refusal storm costs more than it sheds). 0 = only
    /// the queue capacity decides.
    /// </summary>
    [Range(0, 600_000)]
    public int SyncBudgetMs { get; set; } = 500;

    /// <summary>
    /// Part of QueueCapacity that background work (job items) may hold. However many workers
    /// and chunks a deployment runs, interactive requests always find the rest free.
    /// </summary>
    [Range(0.05, 1.0)]
    public double BackgroundQueueShare { get; set; } = 0.5;

    /// <summary>
    /// Background (job) detections in the pipeline at once, across models; more wait before they
    /// are decoded. 0 = twice the cores: enough to keep the executors fed.
    /// </summary>
    [Range(0, 10_000)]
    public int BackgroundInFlight { get; set; }

    /// <summary>
    /// Concurrent batches per model; 0 = auto: on CPU cores / IntraOpThreads (one per core for
    /// single-threaded runs), on a GPU 2.
    /// </summary>
    [Range(0, 64)]
    public int ExecutorSlots { get; set; }

    /// <summary>
    /// On CPU with single-threaded slots (IntraOpThreads 1): a request that finds the machine idle
    /// runs on one extra session that uses every core, so one caller alone gets the latency of
    /// an all-cores run while load still gets the throughput of one run per core.
    /// </summary>
    public bool WideRunWhenIdle { get; set; } = true;

    /// <summary>
    /// How long a version no alias or registry entry needs any more stays loaded after it stops
    /// taking new requests, so those that took it before finish (then it waits for its queue).
    /// </summary>
    [Range(0, 600)]
    public int UnloadGraceSeconds { get; set; } = 30;

    /// <summary>Deadline for a request that names none.</summary>
    [Range(1, 3_600_000)]
    public int DefaultDeadlineMs { get; set; } = 30_000;

    /// <summary>
    /// Images decoded and resized at once; 0 means half the cores (at least one). Decoding beside
    /// one inference run per core only slows every run down: under load the other half of the
    /// cores is the executors', and an interactive request's own decode and run keep their speed.
    /// </summary>
    [Range(0, 512)]
    public int PreprocessWorkers { get; set; }

    /// <summary>The degradation ladder: cheaper models that serve sync requests under backlog.</summary>
    public DegradationOptions Degradation { get; set; } = new();

    /// <summary>Per-model overrides of the batching settings, keyed by model name.</summary>
    public Dictionary<string, ModelSchedulingOverride> PerModel { get; } = new(StringComparer.Ordinal);
}

public sealed class ModelSchedulingOverride
{
    [Range(0, 256)]
    public int? MaxBatchSize { get; set; }

    [Range(0, 10_000)]
    public int? MaxBatchDelayMs { get; set; }

    [Range(1, 1_000_000)]
    public int? QueueCapacity { get; set; }

    [Range(0, 64)]
    public int? ExecutorSlots { get; set; }

    [Range(0, 600_000)]
    public int? SyncBudgetMs { get; set; }
}
