using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Jobs.CancelJob;

internal static class CancelJobEndpoint
{
    /// <summary>200 when the job is terminal afterwards, 202 while running items are still finishing; either way the body is the job.</summary>
    public static async Task<Results<Ok<JobView>, Accepted<JobView>, ProblemHttpResult>> Handle(Guid id, HttpContext http, CancelJobHandler handler, CancellationToken ct)
    {
        if (await handler.HandleAsync(http.User.GetTenantId(), id, ct) is not { } view)
        {
            return GetJobEndpoint.NotFound(http, id);
        }

        return JobStatus.IsTerminal(view.Status) ? TypedResults.Ok(view) : TypedResults.Accepted(view.StatusUrl, view);
    }
}
