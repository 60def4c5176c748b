using Detector.Modules.Rollouts.Comparison;
using Prometheus;

namespace Detector.Modules.Rollouts;

/// <summary>Rollout figures by model and candidate (shadow, canary, an A/B variant): comparisons, their box counts, and breaches.</summary>
internal static class RolloutMetrics
{
    public static readonly Counter Comparisons = Metrics.CreateCounter(
        "detector_rollout_comparisons_total",
        "Off-path comparisons with production by model, candidate and outcome (compared, dropped_busy, dropped_queue_full, or a problem code).",
        new CounterConfiguration { LabelNames = ["model", "candidate", "outcome"] });

    private static readonly Counter Boxes = Metrics.CreateCounter(
        "detector_rollout_boxes_total",
        "Boxes in off-path comparisons by model, candidate and kind (matched at IoU 0.5, candidate, reference): precision is matched/candidate, recall matched/reference.",
        new CounterConfiguration { LabelNames = ["model", "candidate", "kind"] });

    public static readonly Counter Breaches = Metrics.CreateCounter(
        "detector_rollout_breaches_total",
        "Guardrail breaches that set a variant's share to 0, by model, alias and guardrail.",
        new CounterConfiguration { LabelNames = ["model", "alias", "guardrail"] });

    public static void Matched(string model, string candidate, ImageComparison c)
    {
        Boxes.WithLabels(model, candidate, "matched").Inc(c.Matched);
        Boxes.WithLabels(model, candidate, "candidate").Inc(c.Candidate);
        Boxes.WithLabels(model, candidate, "reference").Inc(c.Reference);
    }
}
