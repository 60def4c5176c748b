namespace Detector.Modules.Tenancy.Contracts;

/// <summary>
/// What a module keeps of a tenant in this region (its database and image store), by kind. A
/// region change asks every module first: data left behind in the old region would never be
/// served or purged again (ADR 0013), so the change is refused while any remains. Modules above
/// Tenancy implement it; Tenancy only asks.
/// </summary>
public interface ITenantRegionalData
{
    /// <summary>
    /// Counts by kind (e.g. "results", "jobs", "images"); kinds the tenant has none of may be left
    /// out. A count that would need a full listing (an object store) may be a lower bound: 1 for "some".
    /// </summary>
    Task<IReadOnlyDictionary<string, long>> CountAsync(Guid tenantId, CancellationToken cancellationToken);
}
