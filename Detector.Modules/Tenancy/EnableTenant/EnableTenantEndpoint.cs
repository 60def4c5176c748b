using Detector.Modules.Tenancy.Admin;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.EnableTenant;

/// <summary>POST /v1/admin/tenants/{id}/enable.</summary>
internal static class EnableTenantEndpoint
{
    public static async Task<Ok<TenantView>> Handle(Guid id, EnableTenantHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(id, ct));
}
