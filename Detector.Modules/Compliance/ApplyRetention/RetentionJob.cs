using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.Audit;
using Detector.Modules.Compliance.EraseTenant;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Compliance.ApplyRetention;

/// <summary>What one retention run deleted.</summary>
internal sealed record RetentionSummary(int Tenants, long Jobs, long Results, long Images, int OrphansErased = 0, long FailedBackgroundJobs = 0, long AuditEntries = 0);

/// <summary>
/// One retention run: what is past each tenant's retention (<see cref="TenantRetention"/>), the
/// leftovers of erased tenants, and audit entries past Compliance:AuditRetentionDays (verification
/// then starts from a checkpoint). Run on Compliance:RetentionCron by <see cref="RetentionSchedule"/>,
/// one instance at a time.
/// </summary>
internal sealed partial class RetentionJob(
    TenantRetention retention,
    LeftoverErasure leftovers,
    AuditPruner auditPruner,
    IAuditTrail audit,
    TimeProvider time,
    ILogger<RetentionJob> logger)
{
    public async Task<RetentionSummary> RunAsync(CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("compliance.retention");
        var now = time.GetUtcNow();
        var summary = await retention.PurgeAsync(now, cancellationToken);

        // Data of tenants erased meanwhile (written by work in flight during the erase) goes too.
        summary = summary with { OrphansErased = await leftovers.SweepAsync(cancellationToken) };
        // The log's own retention, after the erasures above were recorded in it.
        var audited = await auditPruner.PruneExpiredAsync(now, cancellationToken);
        ComplianceMetrics.RetentionDeleted.WithLabels("audit_entries").Inc(audited);
        summary = summary with { AuditEntries = audited };
        ComplianceMetrics.RetentionLastSuccess.Set(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        activity?.SetTag("detector.retention_results", summary.Results);
        LogRun(logger, summary.Tenants, summary.Jobs, summary.Results, summary.Images, summary.FailedBackgroundJobs, summary.AuditEntries);
        if (summary.Jobs + summary.Results + summary.Images + summary.OrphansErased + summary.FailedBackgroundJobs + summary.AuditEntries > 0)
        {
            await audit.RecordAsync(new AuditEvent("retention.purge", Detail: JsonSerializer.Serialize(summary)), CancellationToken.None);
        }

        return summary;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: {Tenants} tenant(s) checked; deleted {Jobs} job(s), {Results} result(s), {Images} image(s), {FailedBackgroundJobs} failed background job(s), {AuditEntries} audit entries")]
    private static partial void LogRun(ILogger logger, int tenants, long jobs, long results, long images, long failedBackgroundJobs, long auditEntries);
}
