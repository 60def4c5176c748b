using System.ComponentModel;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.EraseTenant;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Compliance.ApplyRetention;

/// <summary>What one retention run deleted.</summary>
internal sealed record RetentionSummary(int Tenants, long Jobs, long Results, long Images, int OrphansErased = 0);

/// <summary>
/// Deletes what is past each tenant's retention (its plan's retention_days, on the service's
/// clock): finished jobs with their items, results, and then the images nothing of the tenant
/// holds any more. In batches of <see cref="ComplianceOptions.RetentionBatchSize"/> rows, each its
/// own short statement, so a large backlog never holds long locks. A recurring Hangfire job.
/// </summary>
internal sealed partial class RetentionJob(
    ITenantLifecycle tenants,
    ITenantJobData jobs,
    IResultStore results,
    IAuditTrail audit,
    TenantEraser eraser,
    TimeProvider time,
    IOptions<ComplianceOptions> options,
    IOptions<DeploymentOptions> deployment,
    ILogger<RetentionJob> logger)
{
    public const string RecurringJobId = "compliance-retention";
    private const int TenantPage = 100;

    [DisplayName("Retention: delete what is past each tenant's retention")]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<RetentionSummary> RunAsync(CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("compliance.retention");
        var now = time.GetUtcNow();
        var batch = options.Value.RetentionBatchSize;
        var summary = new RetentionSummary(0, 0, 0, 0);
        Guid? after = null;
        while (true)
        {
            var page = await tenants.ListAsync(after, TenantPage, cancellationToken);
            // Each region's instances purge their own region's tenants, whose data is in their database.
            foreach (var tenant in page.Where(t => deployment.Value.Serves(t.Plan.Region)))
            {
                var cutoff = now - TimeSpan.FromDays(tenant.Plan.RetentionDays);
                var (j, r, i) = await PurgeTenantAsync(tenant.Id, cutoff, batch, cancellationToken);
                summary = summary with { Tenants = summary.Tenants + 1, Jobs = summary.Jobs + j, Results = summary.Results + r, Images = summary.Images + i };
            }

            if (page.Count < TenantPage)
            {
                break;
            }

            after = page[^1].Id;
        }

        // Data of tenants erased meanwhile (written by work in flight during the erase) goes too.
        summary = summary with { OrphansErased = await eraser.SweepOrphansAsync(cancellationToken) };
        ComplianceMetrics.RetentionLastSuccess.Set(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        activity?.SetTag("detector.retention_results", summary.Results);
        LogRun(logger, summary.Tenants, summary.Jobs, summary.Results, summary.Images);
        if (summary.Jobs + summary.Results + summary.Images + summary.OrphansErased > 0)
        {
            await audit.RecordAsync(new AuditEvent("retention.purge", Detail: JsonSerializer.Serialize(summary)), CancellationToken.None);
        }

        return summary;
    }

    private async Task<(long Jobs, long Results, long Images)> PurgeTenantAsync(Guid tenantId, DateTimeOffset cutoff, int batch, CancellationToken ct)
    {
        long jobCount = 0, resultCount = 0, imageCount = 0;
        // Jobs before results: a job's items hold their images until the job goes.
        while (true)
        {
            var purged = await jobs.PurgeAsync(tenantId, cutoff, batch, ct);
            jobCount += purged.Jobs;
            imageCount += await jobs.DeleteUnusedImagesAsync(tenantId, purged.Images, ct);
            if (purged.Jobs < batch)
            {
                break;
            }
        }

        while (true)
        {
            var images = await results.PurgeAsync(tenantId, cutoff, batch, ct);
            resultCount += images.Count;
            imageCount += await jobs.DeleteUnusedImagesAsync(tenantId, images, ct);
            if (images.Count < batch)
            {
                break;
            }
        }

        ComplianceMetrics.RetentionDeleted.WithLabels("jobs").Inc(jobCount);
        ComplianceMetrics.RetentionDeleted.WithLabels("results").Inc(resultCount);
        ComplianceMetrics.RetentionDeleted.WithLabels("images").Inc(imageCount);
        return (jobCount, resultCount, imageCount);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: {Tenants} tenant(s) checked; deleted {Jobs} job(s), {Results} result(s), {Images} image(s)")]
    private static partial void LogRun(ILogger logger, int tenants, long jobs, long results, long images);
}
