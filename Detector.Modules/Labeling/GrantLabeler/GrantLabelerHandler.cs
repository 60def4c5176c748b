using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;

namespace Detector.Modules.Labeling.GrantLabeler;

/// <summary>Grants a labeler that exists access to the tenant's items.</summary>
internal sealed class GrantLabelerHandler(LabelerStore labelers, GrantStore grants, TimeProvider time)
{
    public async Task HandleAsync(Guid tenantId, Guid labelerId, CancellationToken ct)
    {
        if (!await labelers.ExistsAsync(labelerId, ct))
        {
            throw new DomainException(OutcomeKind.NotFound, LabelingErrors.LabelerNotFound, "Labeler not found", $"No labeler {labelerId}.");
        }

        await grants.GrantAsync(tenantId, labelerId, time.GetUtcNow(), ct);
    }
}
