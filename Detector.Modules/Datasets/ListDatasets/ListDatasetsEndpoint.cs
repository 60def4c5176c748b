using Detector.Modules.Datasets.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.ListDatasets;

/// <summary>A dataset: its name, when its first version was made, how many versions it has and its latest.</summary>
internal sealed record DatasetView(string Name, DateTimeOffset CreatedAt, int Versions, string? LatestVersion);

/// <summary>The list of datasets.</summary>
internal sealed record DatasetsView(IReadOnlyList<DatasetView> Items);

/// <summary>GET /v1/admin/datasets (one query: the slice calls its store directly).</summary>
internal static class ListDatasetsEndpoint
{
    public static async Task<Ok<DatasetsView>> Handle(DatasetStore store, CancellationToken ct) =>
        TypedResults.Ok(new DatasetsView([.. (await store.ListDatasetsAsync(ct)).Select(d =>
            new DatasetView(d.Name, new DateTimeOffset(DateTime.SpecifyKind(d.CreatedAt, DateTimeKind.Utc)), d.Versions, d.Latest))]));
}
