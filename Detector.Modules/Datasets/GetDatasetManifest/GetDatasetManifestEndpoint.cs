using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.GetDatasetManifest;

/// <summary>GET /v1/admin/datasets/versions/{id}/manifest: the canonical manifest's bytes, whose sha256 is the id.</summary>
internal static class GetDatasetManifestEndpoint
{
    public static async Task<FileContentHttpResult> Handle(string id, GetDatasetManifestHandler handler, CancellationToken ct) =>
        TypedResults.File(await handler.HandleAsync(id, ct), "application/json");
}
