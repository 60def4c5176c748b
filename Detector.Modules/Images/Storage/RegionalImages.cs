using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Images.Storage;

/// <summary>Whether the tenant still has images in this region's store (asked before a region change).</summary>
internal sealed class RegionalImages(IImageBackend backend) : ITenantRegionalData
{
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(Guid tenantId, CancellationToken cancellationToken) =>
        new Dictionary<string, long> { ["images"] = await backend.HasTenantBlobsAsync(tenantId, cancellationToken) ? 1 : 0 };
}
