using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.GetResult;

/// <summary>GET /v1/results/{id}: another tenant's result answers 404 like a missing one, so ids reveal nothing.</summary>
internal static class GetResultEndpoint
{
    public static async Task<Results<Ok<ResultDocument>, ProblemHttpResult>> Handle(Guid id, HttpContext http, GetResultHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(http.User.GetTenantId(), id, ct) is { } result
            ? TypedResults.Ok(result)
            : TypedResults.Problem(ProblemWriter.Create(http, new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Result not found", $"No result {id}.")));
}
