using System.ComponentModel;
using Detector.Modules.Common;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Runs one chunk of a job's items through the detection pipeline at background priority: the
/// handler of Hangfire's chunk jobs (the class keeps its name: Hangfire stores it with every queued
/// chunk). Idempotent: items are claimed under a lease and finished with guarded state changes,
/// and the result id is a function of (job, index), so a retried, duplicated or resumed execution
/// adds nothing twice. Items whose lease is held by another live process are left to it.
/// </summary>
internal sealed class JobWorker(ChunkAdmission admission, ChunkClaims claims, ItemProcessor items)
{
    // Unexpected failures (database down while claiming) are retried by Hangfire, as often and as
    // late as Jobs:ChunkRetryAttempts and Jobs:ChunkRetryDelaysSeconds say (JobsFilterProvider);
    // item-level transient failures are rescheduled per item with our own backoff (ItemOutcomes).
    [DisplayName("Detect · tenant {0} · job {1} · items {2}–{3}")]
    public async Task ProcessAsync(Guid tenantId, Guid jobId, int first, int last, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("job.chunk");
        activity?.SetTag("detector.job_id", jobId);
        activity?.SetTag("detector.tenant_id", tenantId);
        activity?.SetTag("detector.items", $"{first}-{last}");

        if (await admission.AdmitAsync(tenantId, jobId, first, last, cancellationToken) is not { } admitted)
        {
            return;
        }

        var claimed = await claims.ClaimAsync(jobId, first, last, cancellationToken);
        var tasks = new Task[claimed.Count];
        for (var i = 0; i < claimed.Count; i++)
        {
            tasks[i] = items.ProcessAsync(admitted.Job, claimed[i], admitted.Plan, cancellationToken);
        }

        await Task.WhenAll(tasks);
    }
}
