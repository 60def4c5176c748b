using Detector.Modules.Common;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Jobs.EraseJob;

/// <summary>What an erase removed, and when.</summary>
internal sealed record JobErasure(Guid JobId, int Items, int Results, int Images, int ImagesKept, DateTime ErasedAt);

/// <summary>The erase, or why there was none (the job is still running).</summary>
internal sealed record EraseJobOutcome(JobErasure? Erased, DomainException? Refused);

/// <summary>
/// Erases a finished job with everything it produced: its items and webhook attempts, its
/// results, and its images unless another job or result of the tenant holds the same photo; and
/// the Idempotency-Key answers that would replay them. A job still running must be cancelled
/// first (a conflict), so no worker writes a result after the erase. Null: not the tenant's job.
/// </summary>
internal sealed class EraseJobHandler(JobStore jobs, IResultStore results, UnusedImages unused, IIdempotencyRecords idempotency)
{
    public async Task<EraseJobOutcome?> HandleAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        var job = await jobs.GetAsync(tenantId, jobId, ct);
        if (job is null)
        {
            return null;
        }

        if (!JobStatus.IsTerminal(job.Status))
        {
            return new EraseJobOutcome(null, new DomainException(OutcomeKind.Conflict, ErrorCodes.JobNotFinished, "Job not finished",
                $"Job {jobId} is {job.Status}; cancel it (DELETE /v1/jobs/{jobId}) and erase it once it has finished."));
        }

        var items = await jobs.ItemOutputsAsync(jobId, ct);
        var resultIds = items.Where(i => i.ResultId is not null).Select(i => i.ResultId!.Value).ToList();
        var deletedResults = 0;
        foreach (var resultId in resultIds)
        {
            deletedResults += await results.DeleteAsync(tenantId, resultId, CancellationToken.None) ? 1 : 0;
        }

        // The answers that would replay the job (its submission) or its results go with them.
        await idempotency.ForgetAsync(tenantId, [jobId, .. resultIds], CancellationToken.None);

        // The job row last but one: its items (and webhook attempts) go with it, by cascade.
        await jobs.DeleteAsync(tenantId, jobId, CancellationToken.None);
        var (deletedImages, keptImages) = await unused.DeleteAsync(tenantId, items.Where(i => i.Sha256 is not null).Select(i => i.Sha256!.Trim()));
        return new EraseJobOutcome(new JobErasure(jobId, items.Count, deletedResults, deletedImages, keptImages, DateTime.UtcNow), null);
    }
}
