using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.GetUsage;

/// <summary>GET /v1/usage: the calling tenant's.</summary>
internal static class GetUsageEndpoint
{
    public static async Task<Ok<UsageView>> Handle(HttpContext http, GetUsageHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(http.User.GetTenantId(), ct));
}
