using Detector.Modules.Tenancy.Admin;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.GetTenant;

/// <summary>GET /v1/admin/tenants/{id}: the tenant with its effective plan and its keys (prefixes only).</summary>
internal static class GetTenantEndpoint
{
    public static async Task<Ok<TenantView>> Handle(Guid id, GetTenantHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(id, ct));
}
