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

/// <summary>The per-tenant result cache (ADR 0017).</summary>
internal static class ResultCacheMetrics
{
    /// <summary>
    /// Lookups by outcome: <c>hit</c> (answered without inference), <c>miss</c>, <c>stale</c> (an
    /// entry whose results were all deleted, found so by the store: dropped), <c>bypass</c> (a
    /// min_score below the kept floor).
    /// </summary>
    public static readonly Counter Lookups = Metrics.CreateCounter(
        "detector_result_cache_lookups_total", "Result cache lookups by outcome (hit, miss, stale, bypass), model, version and variant.", "outcome", "model", "version", "variant");

    /// <summary>Entries dropped: <c>capacity</c>, <c>expired</c>, <c>deleted</c> (their results were deleted), <c>tenant_erased</c>, <c>version_retired</c>.</summary>
    public static readonly Counter Evictions = Metrics.CreateCounter(
        "detector_result_cache_evictions_total", "Result cache entries dropped, by reason.", "reason");

    public static readonly Gauge Entries = Metrics.CreateGauge("detector_result_cache_entries", "Entries in this instance's result cache.");

    public static readonly Gauge Bytes = Metrics.CreateGauge("detector_result_cache_bytes", "Bytes of kept candidates in this instance's result cache.");
}
