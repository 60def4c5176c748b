using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Images.DeleteImage;

internal static class DeleteImageEndpoint
{
    /// <summary>
    /// Deletes exactly the tenant's stored image (results detected on it stay, with its hash; a job
    /// item not yet run on it then fails image_missing). Another tenant's image, or a malformed
    /// address, answers 404 like a missing one.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Handle(string sha256, HttpContext http, IImageStore images, CancellationToken ct) =>
        ContentAddress.IsValid(sha256) && await images.DeleteAsync(http.User.GetTenantId(), sha256, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(404, ErrorCodes.NotFound, "Image not found", "No stored image with this address.")));
}
