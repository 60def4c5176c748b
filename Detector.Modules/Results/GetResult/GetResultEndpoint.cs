using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.GetResult;

internal static class GetResultEndpoint
{
    /// <summary>Another tenant's result answers 404 like a missing one, so ids reveal nothing.</summary>
    public static async Task<Results<Ok<ResultDocument>, ProblemHttpResult>> Handle(Guid id, HttpContext http, IResultStore store, CancellationToken ct)
    {
        var result = await store.GetAsync(http.User.GetTenantId(), id, ct);
        if (result is null)
        {
            return TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(404, ErrorCodes.NotFound, "Result not found", $"No result {id}.")));
        }

        return TypedResults.Ok(result);
    }
}
