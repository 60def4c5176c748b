using Detector.Modules.Common;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Compliance.ApplyRetention;

/// <summary>
/// Each tenant's data past its plan's retention_days, in this region: failed background jobs,
/// finished jobs with their items, results, then the images nothing of the tenant holds any more,
/// and the Idempotency-Key answers that would replay a deleted job or result. In batches of
/// <see cref="ComplianceOptions.RetentionBatchSize"/> rows, each its own short statement.
/// </summary>
internal sealed class TenantRetention(
    ITenantLifecycle tenants,
    ITenantJobData jobs,
    IResultStore results,
    IIdempotencyRecords idempotency,
    IOptions<ComplianceOptions> options,
    IOptions<DeploymentOptions> deployment)
{
    private const int TenantPage = 100;

    /// <summary>Purges every tenant of this region as of <paramref name="now"/>; the summary counts tenants, jobs, results, images and failed background jobs.</summary>
    public async Task<RetentionSummary> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
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
                var (f, j, r, i) = await PurgeTenantAsync(tenant.Id, cutoff, batch, cancellationToken);
                summary = summary with
                {
                    Tenants = summary.Tenants + 1, FailedBackgroundJobs = summary.FailedBackgroundJobs + f, Jobs = summary.Jobs + j, Results = summary.Results + r, Images = summary.Images + i,
                };
            }

            if (page.Count < TenantPage)
            {
                return summary;
            }

            after = page[^1].Id;
        }
    }

    private async Task<(long FailedBackgroundJobs, long Jobs, long Results, long Images)> PurgeTenantAsync(Guid tenantId, DateTimeOffset cutoff, int batch, CancellationToken ct)
    {
        long failedCount = 0, jobCount = 0, resultCount = 0, imageCount = 0;
        // Failed background jobs first: those of webhook deliveries are found through the jobs they name.
        while (true)
        {
            var purged = await jobs.PurgeFailedBackgroundJobsAsync(tenantId, cutoff, batch, ct);
            failedCount += purged;
            if (purged < batch)
            {
                break;
            }
        }

        // Jobs before results: a job's items hold their images until the job goes.
        while (true)
        {
            var purged = await jobs.PurgeAsync(tenantId, cutoff, batch, ct);
            jobCount += purged.Jobs;
            await idempotency.ForgetAsync(tenantId, purged.JobIds, ct);
            imageCount += await jobs.DeleteUnusedImagesAsync(tenantId, purged.Images, ct);
            if (purged.Jobs < batch)
            {
                break;
            }
        }

        while (true)
        {
            var purged = await results.PurgeAsync(tenantId, cutoff, batch, ct);
            resultCount += purged.ResultIds.Count;
            await idempotency.ForgetAsync(tenantId, purged.ResultIds, ct);
            imageCount += await jobs.DeleteUnusedImagesAsync(tenantId, purged.Images, ct);
            if (purged.ResultIds.Count < batch)
            {
                break;
            }
        }

        ComplianceMetrics.RetentionDeleted.WithLabels("jobs").Inc(jobCount);
        ComplianceMetrics.RetentionDeleted.WithLabels("results").Inc(resultCount);
        ComplianceMetrics.RetentionDeleted.WithLabels("images").Inc(imageCount);
        ComplianceMetrics.RetentionDeleted.WithLabels("failed_background_jobs").Inc(failedCount);
        return (failedCount, jobCount, resultCount, imageCount);
    }
}
