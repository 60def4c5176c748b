using Detector.Modules.Datasets.ExportVersion;
using Detector.Modules.Datasets.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.GetDatasetVersion;

/// <summary>GET /v1/admin/datasets/versions/{id} (one query: the slice calls its store directly).</summary>
internal static class GetDatasetVersionEndpoint
{
    public static async Task<Ok<VersionView>> Handle(string id, DatasetStore store, CancellationToken ct) =>
        (VersionIds.IsValid(id) ? await store.FindAsync(id, ct) : null) is { } row
            ? TypedResults.Ok(VersionView.Of(row))
            : throw VersionIds.NotFound(id);
}
