using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>Tenants with their effective plan, from this instance's cache (dropped on every change notification).</summary>
internal sealed class TenantDirectory(TenantStore store, Plans plans, TenancyCache cache) : ITenantDirectory
{
    public async ValueTask<TenantInfo?> FindAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var cacheKey = (nameof(TenantInfo), tenantId);
        if (cache.TryGet(cacheKey, out TenantInfo? cached))
        {
            return cached;
        }

        var epoch = cache.Epoch;
        var found = await store.GetAsync(tenantId, cancellationToken);
        if (found is not { } f)
        {
            return null;
        }

        var info = new TenantInfo(f.Tenant.Id, f.Tenant.Name, f.Tenant.DisabledAt is not null, f.Plan ?? plans.Default);
        cache.SetForTenant(cacheKey, info, tenantId, epoch);
        return info;
    }
}
