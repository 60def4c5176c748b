using Prometheus;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>The image written behind the answer (ADR 0016).</summary>
internal static class DetectionMetrics
{
    /// <summary>
    /// How each sync photo's put ended relative to its answer: <c>before_answer</c> (done while the
    /// detection ran), <c>inline_budget</c> (waited for: the behind-budget was full), <c>stored</c>,
    /// <c>store_failed</c>, <c>orphaned</c> (its result was gone or given up on: what it wrote was
    /// removed), <c>interrupted</c> (marked by the sweep: its instance died).
    /// </summary>
    public static readonly Counter Puts = Metrics.CreateCounter(
        "detector_detect_image_puts_total", "Sync detect photos by how their store put ended relative to the answer.", "outcome");

    public static readonly Gauge BehindBytes = Metrics.CreateGauge(
        "detector_detect_image_behind_bytes", "Bytes of photos this instance is storing after their answers.");
}
