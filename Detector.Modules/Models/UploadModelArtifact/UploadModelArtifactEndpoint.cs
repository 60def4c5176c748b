using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.UploadModelArtifact;

internal sealed record ArtifactView(string Artifact, string Sha256, long SizeBytes);

/// <summary>PUT /v1/admin/models/artifacts: the body is the ONNX file (application/octet-stream).</summary>
internal static class UploadModelArtifactEndpoint
{
    public static async Task<Created<ArtifactView>> Handle(HttpRequest request, ClaimsPrincipal user, UploadModelArtifactHandler handler, CancellationToken ct)
    {
        var view = await handler.HandleAsync(request, user.AdminActor(), ct);
        return TypedResults.Created($"/v1/admin/models/artifacts/{view.Sha256}", view);
    }
}
