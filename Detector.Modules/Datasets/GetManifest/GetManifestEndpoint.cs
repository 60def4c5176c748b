using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.GetManifest;

/// <summary>GET /v1/admin/datasets/versions/{id}/manifest: the canonical manifest's bytes, whose sha256 is the id.</summary>
internal static class GetManifestEndpoint
{
    public static async Task<FileContentHttpResult> Handle(string id, GetManifestHandler handler, CancellationToken ct) =>
        TypedResults.File(await handler.HandleAsync(id, ct), "application/json");
}
