using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>The cache's change events (fed by <see cref="TenancyChangeFeed"/>'s LISTEN), offered to other modules.</summary>
internal sealed class TenantChanges(TenancyCache cache) : ITenantChanges
{
    public event Action<Guid?>? Changed
    {
        add => cache.Changed += value;
        remove => cache.Changed -= value;
    }
}
