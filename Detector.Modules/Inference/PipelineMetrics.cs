using Prometheus;

namespace Detector.Modules.Inference;

/// <summary>
/// Per-model children of the pipeline metrics, resolved once at load: WithLabels allocates and
/// looks up on every call, which the request path should not pay for its common outcomes.
/// </summary>
internal sealed class PipelineMetrics(string model)
{
    private static readonly Counter Images = Metrics.CreateCounter("detector_images_total", "Images processed, by model and outcome.", new CounterConfiguration { LabelNames = ["model", "outcome"] });

    private static readonly Histogram Stages = Metrics.CreateHistogram("detector_stage_duration_seconds", "Per-image pipeline stage time.", new HistogramConfiguration
    {
        LabelNames = ["model", "stage"],
        Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
    });

    private static readonly Counter Capped = Metrics.CreateCounter(
        "detector_nms_candidates_capped_total", "Images whose candidates above min_score exceeded the pre-NMS cap (only the best-scoring went to NMS), by model.", new CounterConfiguration { LabelNames = ["model"] });

    public Counter.Child CandidatesCapped { get; } = Capped.WithLabels(model);

    public Counter.Child Ok { get; } = Images.WithLabels(model, "ok");

    public Counter.Child Rejected { get; } = Images.WithLabels(model, "rejected");

    public Counter.Child Cancelled { get; } = Images.WithLabels(model, "cancelled");

    public Histogram.Child Decode { get; } = Stages.WithLabels(model, "decode");

    public Histogram.Child Postprocess { get; } = Stages.WithLabels(model, "postprocess");

    /// <summary>Failure outcomes are rare and named by their problem code.</summary>
    public Counter.Child Outcome(string code) => Images.WithLabels(model, code);
}
