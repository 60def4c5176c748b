using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.DeleteResult;

/// <summary>DELETE /v1/results/{id}: another tenant's id answers 404 like a missing one.</summary>
internal static class DeleteResultEndpoint
{
    public static async Task<Results<NoContent, ProblemHttpResult>> Handle(Guid id, HttpContext http, DeleteResultHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(http.User.GetTenantId(), id, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(ProblemWriter.Create(http, new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Result not found", $"No result {id}.")));
}
