using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.EnableTenant;

/// <summary>Enables a tenant: its keys work again on every instance within moments.</summary>
internal sealed partial class EnableTenantHandler(TenantStore store, TenantViews views, ILogger<EnableTenantHandler> logger)
{
    public async Task<TenantView> HandleAsync(Guid id, CancellationToken ct)
    {
        if (!await store.SetDisabledAsync(id, disabled: false, ct))
        {
            throw AdminProblems.TenantNotFound(id);
        }

        LogEnabled(logger, id);
        return (await views.LoadAsync(id, ct))!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} enabled")]
    private static partial void LogEnabled(ILogger logger, Guid tenantId);
}
