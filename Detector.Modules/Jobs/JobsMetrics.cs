using Prometheus;

namespace Detector.Modules.Jobs;

/// <summary>Prometheus series for autoscaling and operations of the async pipeline.</summary>
internal static class JobsMetrics
{
    public static readonly Gauge JobsByState = Metrics.CreateGauge(
        "detector_jobs", "Jobs by status (refreshed by the recovery sweep).", new GaugeConfiguration { LabelNames = ["status"] });

    public static readonly Gauge PendingItems = Metrics.CreateGauge(
        "detector_job_items_pending", "Job items not yet finished, per Hangfire queue (refreshed by the recovery sweep).", new GaugeConfiguration { LabelNames = ["queue"] });

    public static readonly Counter Items = Metrics.CreateCounter(
        "detector_job_items_total", "Job items finished by this instance, by outcome; rate() gives items/s.", new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter ItemRetries = Metrics.CreateCounter(
        "detector_job_item_retries_total", "Job items put back for a retry after a transient failure.");

    public static readonly Counter Recovered = Metrics.CreateCounter(
        "detector_job_items_recovered_total", "Work re-dispatched by the recovery sweep, by reason (lease_expired, no_ticket, webhook).", new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Gauge LeasedItems = Metrics.CreateGauge(
        "detector_job_items_leased", "Job items this instance holds a lease on (refreshed at each renewal).");

    public static readonly Histogram SweepSeconds = Metrics.CreateHistogram(
        "detector_job_recovery_sweep_seconds", "Duration of one recovery sweep on the instance that held the sweep lock.", new HistogramConfiguration
        {
            Buckets = Histogram.ExponentialBuckets(0.001, 4, 8),
        });

    public static readonly Histogram CompletionTime = Metrics.CreateHistogram(
        "detector_job_completion_seconds", "Time from submission to the last item, by final status.", new HistogramConfiguration
        {
            LabelNames = ["status"],
            Buckets = Histogram.ExponentialBuckets(0.25, 2, 16),
        });

    public static readonly string[] Statuses = ["queued", "running", "succeeded", "partially_failed", "failed", "cancelled"];
}
