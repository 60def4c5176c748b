namespace Detector.Modules.Labeling.Contracts;

/// <summary>What erasing a tenant removed from the labeling tables, by table.</summary>
public sealed record LabelingErasure(long Feedback, long Items, long LabelSets, long Assignments, long Grants, long Disagreements);

/// <summary>A tenant's labeling data as a whole, for the erase of a tenant (the Compliance module).</summary>
public interface ITenantLabelingData
{
    /// <summary>
    /// Deletes every labeling row of the tenant: its feedback, its items with their label sets and
    /// assignments, the grants it gave, and the disagreements recorded on its photos.
    /// </summary>
    Task<LabelingErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Every tenant with a labeling row in this region's database.</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);
}
