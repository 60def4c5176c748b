namespace Detector.Modules.Datasets.Contracts;

/// <summary>A tenant's images in dataset versions, for the tenant erase (Compliance).</summary>
public interface ITenantDatasetData
{
    /// <summary>
    /// Marks every entry of the tenant erased in every version (tenant, image and annotations
    /// removed; the version keeps its id and reports itself incomplete) and removes the versions'
    /// materialized exports; returns how many entries were erased.
    /// </summary>
    Task<long> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Every tenant whose images a version still holds.</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);
}
