using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.DeleteResult;

internal static class DeleteResultEndpoint
{
    /// <summary>
    /// Deletes exactly the result (the image stays: DELETE /v1/images/{sha256} removes it). Another
    /// tenant's id answers 404 like a missing one.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Handle(Guid id, HttpContext http, IResultStore store, CancellationToken ct) =>
        await store.DeleteAsync(http.User.GetTenantId(), id, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(404, ErrorCodes.NotFound, "Result not found", $"No result {id}.")));
}
