using Prometheus;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>Per model-version metric children, resolved once so the batch loop never looks up labels.</summary>
internal sealed class SchedulerMetrics
{
    private static readonly string[] Labels = ["model", "version"];

    private static readonly Histogram BatchSizes = Metrics.CreateHistogram("detector_batch_size", "Images per executed batch.", new HistogramConfiguration
    {
        LabelNames = Labels,
        Buckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64],
    });

    private static readonly Histogram QueueWaits = Metrics.CreateHistogram("detector_queue_wait_seconds", "Time a request waited in the batching queue.", new HistogramConfiguration
    {
        LabelNames = Labels,
        Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
    });

    private static readonly Histogram InferenceDurations = Metrics.CreateHistogram("detector_inference_duration_seconds", "Model run time per batch.", new HistogramConfiguration
    {
        LabelNames = Labels,
        Buckets = Histogram.ExponentialBuckets(0.001, 1.6, 18),
    });

    private static readonly Gauge QueueDepths = Metrics.CreateGauge("detector_queue_depth", "Requests waiting for a batch.", new GaugeConfiguration { LabelNames = Labels });

    private static readonly Counter ExpiredRequests = Metrics.CreateCounter("detector_requests_expired_total", "Requests dropped because their deadline passed in the queue.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter RejectedRequests = Metrics.CreateCounter("detector_requests_rejected_total", "Requests refused because the queue was full.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter CancelledRequests = Metrics.CreateCounter("detector_requests_cancelled_total", "Queued requests removed because the caller went away.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter FailedRequests = Metrics.CreateCounter("detector_requests_failed_total", "Requests whose batch failed in the runtime.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter TensorBuffers = Metrics.CreateCounter("detector_tensor_buffers_allocated_total", "Input/output tensor arrays the model's pools had to allocate; flat once traffic is steady.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Gauge UnhealthyExecutorCounts = Metrics.CreateGauge("detector_inference_executors_unhealthy", "Executor slots whose session is being recreated after a failed run.", new GaugeConfiguration { LabelNames = Labels });

    private static readonly Counter Recoveries = Metrics.CreateCounter("detector_inference_recoveries_total", "Executor sessions recreated after a failed run.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter SplitBatches = Metrics.CreateCounter("detector_inference_batches_split_total", "Batches split in two and retried after the runtime ran out of memory.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter Runs = Metrics.CreateCounter("detector_inference_runs_total", "Model runs by layout: narrow (single-threaded slot, the throughput layout) or wide (every core, one request alone).", new CounterConfiguration { LabelNames = ["model", "version", "layout"] });

    private static readonly Gauge LatencyScales = Metrics.CreateGauge("detector_admission_latency_scale", "How far measured completions of admitted sync requests ran behind admission's estimate (1 = on time); scales the estimate.", new GaugeConfiguration { LabelNames = Labels });

    public SchedulerMetrics(string model, string version)
    {
        LatencyScale = LatencyScales.WithLabels(model, version);
        UnhealthyExecutors = UnhealthyExecutorCounts.WithLabels(model, version);
        Recovered = Recoveries.WithLabels(model, version);
        Split = SplitBatches.WithLabels(model, version);
        NarrowRuns = Runs.WithLabels(model, version, "narrow");
        WideRuns = Runs.WithLabels(model, version, "wide");
        BuffersAllocated = TensorBuffers.WithLabels(model, version);
        BatchSize = BatchSizes.WithLabels(model, version);
        QueueWaitSeconds = QueueWaits.WithLabels(model, version);
        InferenceSeconds = InferenceDurations.WithLabels(model, version);
        QueueDepth = QueueDepths.WithLabels(model, version);
        Expired = ExpiredRequests.WithLabels(model, version);
        Rejected = RejectedRequests.WithLabels(model, version);
        Cancelled = CancelledRequests.WithLabels(model, version);
        Failed = FailedRequests.WithLabels(model, version);
    }

    public Gauge.Child LatencyScale { get; }

    public Gauge.Child UnhealthyExecutors { get; }

    public Counter.Child Recovered { get; }

    public Counter.Child Split { get; }

    public Counter.Child NarrowRuns { get; }

    public Counter.Child WideRuns { get; }

    public Histogram.Child BatchSize { get; }

    public Histogram.Child QueueWaitSeconds { get; }

    public Histogram.Child InferenceSeconds { get; }

    public Gauge.Child QueueDepth { get; }

    public Counter.Child Expired { get; }

    public Counter.Child Rejected { get; }

    public Counter.Child Cancelled { get; }

    public Counter.Child Failed { get; }

    public Counter.Child BuffersAllocated { get; }
}
