using Detector.Modules.Tenancy.Admin;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.DisableTenant;

/// <summary>POST /v1/admin/tenants/{id}/disable.</summary>
internal static class DisableTenantEndpoint
{
    public static async Task<Ok<TenantView>> Handle(Guid id, DisableTenantHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(id, ct));
}
