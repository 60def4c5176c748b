using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Browser;
using Detector.Modules.Tenancy.Tenants;

namespace Detector.Modules.Tenancy.SetAllowedOrigins;

/// <summary>
/// Replaces a tenant's allowed origins, stored as browsers send them (so "https://App.example:443"
/// and "https://app.example" are one), announced to every instance through the change feed and
/// applied on this one at once.
/// </summary>
internal sealed class SetAllowedOriginsHandler(TenantStore store, BrowserOrigins origins, TenantViews views)
{
    public async Task<TenantView> HandleAsync(Guid id, IReadOnlyList<string> requested, CancellationToken ct)
    {
        var canonical = requested.Select(o => OriginRules.Canonical(o, out _)!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (!await store.SetOriginsAsync(id, canonical, ct))
        {
            throw AdminProblems.TenantNotFound(id);
        }

        var view = (await views.LoadAsync(id, ct))!;
        // A disabled tenant's origins allow nothing until it is enabled again (the feed reloads it then).
        origins.Apply(id, view.Status == "active" ? canonical : []);
        return view;
    }
}
