using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Images.DeleteImage;

/// <summary>DELETE /v1/images/{sha256}: another tenant's image, or a malformed address, answers 404 like a missing one.</summary>
internal static class DeleteImageEndpoint
{
    public static async Task<Results<NoContent, ProblemHttpResult>> Handle(string sha256, HttpContext http, DeleteImageHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(http.User.GetTenantId(), sha256, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(ProblemWriter.Create(http, new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Image not found", "No stored image with this address.")));
}
