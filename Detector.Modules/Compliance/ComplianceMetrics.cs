using Prometheus;

namespace Detector.Modules.Compliance;

/// <summary>Prometheus series of the audit log, retention and tenant erasure.</summary>
internal static class ComplianceMetrics
{
    public static readonly Counter AuditEntries = Metrics.CreateCounter(
        "detector_audit_entries_total", "Audit log entries appended, by action.", new CounterConfiguration { LabelNames = ["action"] });

    public static readonly Counter AuditFailures = Metrics.CreateCounter(
        "detector_audit_failures_total", "Audit log entries that could not be appended (the action itself went ahead), by action.", new CounterConfiguration { LabelNames = ["action"] });

    public static readonly Counter RetentionDeleted = Metrics.CreateCounter(
        "detector_retention_deleted_total", "Rows and images deleted by retention, by kind (jobs, results, images, failed_background_jobs, audit_entries).", new CounterConfiguration { LabelNames = ["kind"] });

    public static readonly Gauge RetentionLastSuccess = Metrics.CreateGauge(
        "detector_retention_last_success_timestamp_seconds", "When the last retention run finished without error (Unix seconds).");

    public static readonly Counter RetentionRuns = Metrics.CreateCounter(
        "detector_retention_runs_total", "Scheduled retention runs on this instance, by outcome (succeeded, failed, skipped: another instance held the run).", new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Histogram RetentionSeconds = Metrics.CreateHistogram(
        "detector_retention_run_seconds", "Duration of the retention runs this instance made.", new HistogramConfiguration
        {
            Buckets = Histogram.ExponentialBuckets(0.01, 4, 10),
        });

    public static readonly Gauge AuditHeadSeq = Metrics.CreateGauge(
        "detector_audit_head_seq", "The audit chain's newest seq as last logged (an anchor outside the database: it never goes down unless the tail was cut).");

    public static readonly Counter Erasures = Metrics.CreateCounter(
        "detector_tenant_erasures_total", "Tenants erased on request.");
}
