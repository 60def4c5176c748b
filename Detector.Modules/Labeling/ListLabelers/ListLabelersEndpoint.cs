using Detector.Modules.Labeling.Storage;

namespace Detector.Modules.Labeling.ListLabelers;

/// <summary>Every labeler with its agreement statistics.</summary>
internal sealed record LabelerList(IReadOnlyList<LabelerView> Items);

/// <summary>GET /v1/admin/labelers: one query, so the slice asks its store directly.</summary>
internal static class ListLabelersEndpoint
{
    public static async Task<LabelerList> Handle(LabelerStore store, CancellationToken ct) => new(await store.ListAsync(ct));
}
