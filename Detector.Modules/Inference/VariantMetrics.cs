using Detector.Modules.Inference.Pipeline;
using Prometheus;

namespace Detector.Modules.Inference;

/// <summary>
/// Traffic by model, variant (the alias a request was routed or pinned to) and version: its
/// share, latency, errors and detections per image, which a rollout is judged on.
/// </summary>
internal static class VariantMetrics
{
    private static readonly Counter Requests = Metrics.CreateCounter(
        "detector_variant_requests_total",
        "Detections by model, variant (production, canary, an A/B alias, pinned), the version that served and outcome (ok or the problem code).",
        new CounterConfiguration { LabelNames = ["model", "variant", "version", "outcome"] });

    private static readonly Histogram Latency = Metrics.CreateHistogram(
        "detector_variant_duration_seconds",
        "Time from the start of a detection to its answer, by model and variant.",
        new HistogramConfiguration { LabelNames = ["model", "variant"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 12) });

    private static readonly Histogram Detections = Metrics.CreateHistogram(
        "detector_variant_detections_per_image",
        "Detections per image by model and variant.",
        new HistogramConfiguration { LabelNames = ["model", "variant"], Buckets = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100] });

    public static void Served(ServedModel served, double totalMs, int detections)
    {
        var name = served.RequestedName;
        Requests.WithLabels(name, served.Variant, served.Manifest.Version, "ok").Inc();
        Latency.WithLabels(name, served.Variant).Observe(totalMs / 1000.0);
        Detections.WithLabels(name, served.Variant).Observe(detections);
    }

    public static void Failed(ServedModel served, string code) =>
        Requests.WithLabels(served.RequestedName, served.Variant, served.Manifest.Version, code).Inc();
}
