using Prometheus;

namespace Detector.Modules.Labeling;

/// <summary>
/// Feedback and the queue. The correction rate of a version is its corrections over the results
/// it served, Inference's <c>detector_images_total{outcome="ok"}</c>:
/// <code>
/// sum by (model, version) (increase(detector_feedback_corrections_total[1d]))
///   / sum by (model, version) (increase(detector_images_total{outcome="ok"}[1d]))
/// </code>
/// (off-path comparison runs count in <c>detector_images_total</c> too; with shadow comparisons on,
/// the rate of the shadow version is over its comparison runs).
/// </summary>
internal static class LabelingMetrics
{
    public static readonly Counter Feedback = Metrics.CreateCounter(
        "detector_feedback_total", "Feedback on served results, by the model and version that served them and kind.",
        new CounterConfiguration { LabelNames = ["model", "version", "kind"] });

    public static readonly Counter Corrections = Metrics.CreateCounter(
        "detector_feedback_corrections_total", "Feedback that corrects a detection (box_added, box_removed, label_changed), by model and version.",
        new CounterConfiguration { LabelNames = ["model", "version"] });

    public static readonly Counter LabelerKeyRefusals = Metrics.CreateCounter(
        "detector_labeler_key_refusals_total",
        "Labeler keys refused: unknown_key (looked up, not found), address_throttled (refused without a lookup), lookup_busy.",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter Enqueued = Metrics.CreateCounter(
        "detector_labeling_items_enqueued_total", "Results the sampler put in the labeling queue, by strategy.",
        new CounterConfiguration { LabelNames = ["strategy"] });

    public static readonly Counter Settled = Metrics.CreateCounter(
        "detector_labeling_items_settled_total", "Labeling items that got their second label set or a review, by outcome (agreed, disputed, reviewed).",
        new CounterConfiguration { LabelNames = ["outcome"] });
}
