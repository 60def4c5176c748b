using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.CreateTenant;

/// <summary>
/// A tenant on the named plan (else the default one) with its first API key, shown only in this
/// answer. Audited here rather than by the endpoint filter: the tenant's id exists only now.
/// </summary>
internal sealed partial class CreateTenantHandler(TenantStore store, Plans plans, IAuditTrail audit, ILogger<CreateTenantHandler> logger)
{
    public async Task<CreateTenantResponse> HandleAsync(string name, string? planName, CancellationToken ct)
    {
        var plan = planName is not null ? plans.Named(planName)! : plans.Default;
        var (tenant, keyRow, key) = await store.CreateAsync(name, plan, ct);
        LogCreated(logger, tenant.Id, plan.Name, keyRow.Prefix);
        audit.Record(new AuditEvent("tenant.create", tenant.Id, Target: keyRow.Id.ToString(), Status: StatusCodes.Status201Created, Detail: plan.Name), logger);
        return new CreateTenantResponse(tenant.Id, tenant.Name, key, keyRow.Id, KeyView.Utc(tenant.CreatedAt), plan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created tenant {TenantId} on plan {Plan} with key {KeyPrefix}…")]
    private static partial void LogCreated(ILogger logger, Guid tenantId, string plan, string keyPrefix);
}
