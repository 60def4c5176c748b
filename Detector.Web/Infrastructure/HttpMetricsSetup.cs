using Prometheus;
using Prometheus.HttpMetrics;

namespace Detector.Web.Infrastructure;

/// <summary>
/// prometheus-net's <c>http_request_duration_seconds</c> with one bucket added at the sync budget.
/// Its default buckets (1 ms doubling to 32.768 s) step from 0.256 to 0.512 s, so the 500 ms
/// latency SLO (<c>Inference:SyncBudgetMs</c>, deploy/observability/prometheus/alerts.yml) could
/// only be judged at 512 ms. Every default bound is kept, so queries and dashboards written
/// against them still hold; the label set is the one the middleware creates by default.
/// </summary>
internal static class HttpMetricsSetup
{
    /// <summary>The sync budget's default, in seconds: the bound the latency SLO counts "fast" under.</summary>
    internal const double SyncBudgetBucket = 0.5;

    internal static readonly double[] DurationBuckets =
        [.. Histogram.ExponentialBuckets(0.001, 2, 16).Append(SyncBudgetBucket).Order()];

    /// <summary>Created once per process: in-process test hosts share the default registry.</summary>
    internal static readonly Histogram RequestDuration = Metrics.CreateHistogram(
        "http_request_duration_seconds",
        "The duration of HTTP requests processed by an ASP.NET Core application.",
        new HistogramConfiguration
        {
            // The middleware fills endpoint with the route template (e.g. /v1/detect) only when
            // the metric has that label; controller and action stay empty for minimal APIs.
            LabelNames = [HttpRequestLabelNames.Code, HttpRequestLabelNames.Method, HttpRequestLabelNames.Controller, HttpRequestLabelNames.Action, HttpRequestLabelNames.Endpoint],
            Buckets = DurationBuckets,
        });

    public static IApplicationBuilder UseDetectorHttpMetrics(this IApplicationBuilder app) =>
        app.UseHttpMetrics(o => o.RequestDuration.Histogram = RequestDuration);
}
