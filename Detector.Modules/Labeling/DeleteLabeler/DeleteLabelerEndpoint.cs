using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.DeleteLabeler;

/// <summary>
/// DELETE /v1/admin/labelers/{id}: its key stops at once, its grants and open assignments go; its
/// label sets stay with their items (they are part of the labels' history). One query, so the
/// slice asks its store directly.
/// </summary>
internal static class DeleteLabelerEndpoint
{
    public static async Task<NoContent> Handle(Guid id, LabelerStore store, CancellationToken ct) =>
        await store.DeleteAsync(id, ct)
            ? TypedResults.NoContent()
            : throw new DomainException(OutcomeKind.NotFound, LabelingErrors.LabelerNotFound, "Labeler not found", $"No labeler {id}.");
}
