using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.ListTenants;

internal static class ListTenantsEndpoint
{
    public static async Task<Ok<TenantListResponse>> Handle(TenantStore store, CancellationToken ct)
    {
        var rows = await store.ListAsync(ct);
        var items = new List<TenantSummary>(rows.Count);
        foreach (var r in rows)
        {
            items.Add(new TenantSummary(r.Id, r.Name, r.CreatedAt));
        }

        return TypedResults.Ok(new TenantListResponse(items));
    }
}

internal sealed record TenantSummary(Guid Id, string Name, DateTime CreatedAt);

internal sealed record TenantListResponse(IReadOnlyList<TenantSummary> Tenants);
