using Prometheus;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>The image written behind the answer (ADR 0016).</summary>
internal static class DetectionMetrics
{
    /// <summary>
    /// Puts of photos by how they ran relative to their answer: <c>before_answer</c> (beside the
    /// detection, waited for: job items, a full budget, a failing store), <c>inline_budget</c> (of
    /// those, sync photos that found the budget full); after the answer: <c>stored</c>,
    /// <c>store_failed</c>, <c>orphaned</c> (its result was gone or given up on: what it wrote was
    /// removed), <c>interrupted</c> (marked by the sweep: its instance died).
    /// </summary>
    public static readonly Counter Puts = Metrics.CreateCounter(
        "detector_detect_image_puts_total", "Photo puts of detections by how they ran relative to the answer, and how those after it ended.", "outcome");

    public static readonly Gauge BehindBytes = Metrics.CreateGauge(
        "detector_detect_image_behind_bytes", "Bytes of photos this instance is storing after their answers.");
}
