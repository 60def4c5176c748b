using Detector.Modules.Common;
using Detector.Modules.Datasets.GetDatasetVersion;
using Detector.Modules.Datasets.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.ListDatasetVersions;

/// <summary>A dataset's versions, newest first.</summary>
internal sealed record VersionsView(string Dataset, IReadOnlyList<VersionView> Items);

/// <summary>GET /v1/admin/datasets/{name}/versions (one query: the slice calls its store directly); 404 for a dataset with none.</summary>
internal static class ListDatasetVersionsEndpoint
{
    public static async Task<Ok<VersionsView>> Handle(string name, DatasetStore store, CancellationToken ct)
    {
        var versions = await store.ListDatasetVersionsAsync(DatasetNames.Validate(name), ct);
        return versions.Count == 0
            ? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.DatasetNotFound, "Dataset not found", $"No dataset '{name}'.")
            : TypedResults.Ok(new VersionsView(name, [.. versions.Select(VersionView.Of)]));
    }
}
