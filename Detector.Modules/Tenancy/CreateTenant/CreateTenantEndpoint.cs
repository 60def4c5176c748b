using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.CreateTenant;

internal static class CreateTenantEndpoint
{
    public static async Task<Created<CreateTenantResponse>> Handle(CreateTenantRequest request, TenantStore store, ILoggerFactory loggers, CancellationToken ct)
    {
        var (tenant, key) = await store.CreateAsync(request.Name!.Trim(), ct);
        loggers.CreateLogger("Tenancy").LogInformation("Created tenant {TenantId} ({TenantName}) with key {KeyPrefix}…", tenant.Id, tenant.Name, ApiKeys.DisplayPrefix(key));
        return TypedResults.Created($"/v1/admin/tenants/{tenant.Id}", new CreateTenantResponse(tenant.Id, tenant.Name, key, tenant.CreatedAt));
    }
}
