using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Tenants;

namespace Detector.Modules.Tenancy.ListTenants;

internal sealed record TenantSummary(Guid Id, string Name, string Status, string? Plan, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

internal sealed record TenantListResponse(IReadOnlyList<TenantSummary> Tenants);

/// <summary>Tenants, newest first: active ones, or all.</summary>
internal sealed class ListTenantsHandler(TenantStore store)
{
    /// <summary>The listing is not paged; an operator's tenant list stays far below this.</summary>
    private const int MaxListed = 1000;

    public async Task<TenantListResponse> HandleAsync(bool includeDisabled, CancellationToken ct)
    {
        var rows = await store.ListAsync(includeDisabled, MaxListed, ct);
        return new TenantListResponse(rows.Select(r => new TenantSummary(
            r.Id, r.Name, r.DisabledAt is null ? "active" : "disabled", r.PlanName, KeyView.Utc(r.CreatedAt), r.DisabledAt is { } d ? KeyView.Utc(d) : null)).ToList());
    }
}
