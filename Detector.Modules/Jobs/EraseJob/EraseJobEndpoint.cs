using Detector.Modules.Common;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Jobs.EraseJob;

/// <summary>POST /v1/jobs/{id}/erase, beside <c>DELETE /v1/jobs/{id}</c>, which keeps its meaning (cancel).</summary>
internal static class EraseJobEndpoint
{
    public static async Task<Results<Ok<JobErasure>, ProblemHttpResult>> Handle(Guid id, HttpContext http, EraseJobHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(http.User.GetTenantId(), id, ct) switch
        {
            null => GetJobEndpoint.NotFound(http, id),
            { Refused: { } refused } => TypedResults.Problem(ProblemWriter.Create(http, refused)),
            { Erased: var erased } => TypedResults.Ok(erased),
        };
}
