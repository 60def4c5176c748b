using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Tenancy.ListTenants;

/// <summary>GET /v1/admin/tenants[?include_disabled=true].</summary>
internal static class ListTenantsEndpoint
{
    public static async Task<Ok<TenantListResponse>> Handle([FromQuery(Name = "include_disabled")] bool? includeDisabled, ListTenantsHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(includeDisabled ?? false, ct));
}
