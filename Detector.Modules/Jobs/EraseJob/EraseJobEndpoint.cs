using Detector.Modules.Common;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Jobs.EraseJob;

/// <summary>What an erase removed, and when.</summary>
internal sealed record JobErasure(Guid JobId, int Items, int Results, int Images, int ImagesKept, DateTime ErasedAt);

/// <summary>
/// Erases a finished job with everything it produced: its items and webhook attempts, its
/// results, and its images unless another job or result of the tenant holds the same photo.
/// Beside <c>DELETE /v1/jobs/{id}</c>, which keeps its meaning (cancel). A job still running must be
/// cancelled first (409), so no worker writes a result after the erase.
/// </summary>
internal static class EraseJobEndpoint
{
    public static async Task<Results<Ok<JobErasure>, ProblemHttpResult>> Handle(
        Guid id, HttpContext http, JobStore jobs, IResultStore results, UnusedImages unused, CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();
        var job = await jobs.GetAsync(tenantId, id, ct);
        if (job is null)
        {
            return GetJobEndpoint.NotFound(http, id);
        }

        if (!JobStatus.IsTerminal(job.Status))
        {
            return TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(409, ErrorCodes.JobNotFinished, "Job not finished",
                $"Job {id} is {job.Status}; cancel it (DELETE /v1/jobs/{id}) and erase it once it has finished.")));
        }

        var items = await jobs.ItemOutputsAsync(id, ct);

        var deletedResults = 0;
        foreach (var resultId in items.Where(i => i.ResultId is not null).Select(i => i.ResultId!.Value))
        {
            deletedResults += await results.DeleteAsync(tenantId, resultId, CancellationToken.None) ? 1 : 0;
        }

        // The job row last but one: its items (and webhook attempts) go with it, by cascade.
        await jobs.DeleteAsync(tenantId, id, CancellationToken.None);
        var (deletedImages, keptImages) = await unused.DeleteAsync(tenantId, items.Where(i => i.Sha256 is not null).Select(i => i.Sha256!.Trim()));

        return TypedResults.Ok(new JobErasure(id, items.Count, deletedResults, deletedImages, keptImages, DateTime.UtcNow));
    }
}
