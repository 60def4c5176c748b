using Prometheus;

namespace Detector.Modules.Inference;

/// <summary>
/// Per-model children of the pipeline metrics, resolved once at load: WithLabels allocates and
/// looks up on every call, which the request path should not pay for its common outcomes.
/// </summary>
internal sealed class PipelineMetrics(string model, string version)
{
    private static readonly Counter Images = Metrics.CreateCounter("detector_images_total", "Images processed, by model, outcome and model version.", new CounterConfiguration { LabelNames = ["model", "outcome", "version"] });

    private static readonly Histogram Stages = Metrics.CreateHistogram("detector_stage_duration_seconds", "Per-image pipeline stage time, by model, stage and model version.", new HistogramConfiguration
    {
        LabelNames = ["model", "stage", "version"],
        Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
    });

    private static readonly Counter Capped = Metrics.CreateCounter(
        "detector_nms_candidates_capped_total", "Images whose candidates above min_score exceeded the pre-NMS cap (only the best-scoring went to NMS), by model.", new CounterConfiguration { LabelNames = ["model"] });

    public Counter.Child CandidatesCapped { get; } = Capped.WithLabels(model);

    /// <summary>The capped count of a model (every version), for tests.</summary>
    internal static double CappedCount(string model) => Capped.WithLabels(model).Value;

    public Counter.Child Ok { get; } = Images.WithLabels(model, "ok", version);

    public Counter.Child Rejected { get; } = Images.WithLabels(model, "rejected", version);

    public Counter.Child Cancelled { get; } = Images.WithLabels(model, "cancelled", version);

    public Histogram.Child Decode { get; } = Stages.WithLabels(model, "decode", version);

    public Histogram.Child Postprocess { get; } = Stages.WithLabels(model, "postprocess", version);

    /// <summary>Failure outcomes are rare and named by their problem code.</summary>
    public Counter.Child Outcome(string code) => Images.WithLabels(model, code, version);
}
