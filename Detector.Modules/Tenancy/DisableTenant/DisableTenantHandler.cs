using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.DisableTenant;

/// <summary>Disables a tenant: its keys stop working on every instance within moments (the change is announced), and its queued job work waits.</summary>
internal sealed partial class DisableTenantHandler(TenantStore store, TenantViews views, ILogger<DisableTenantHandler> logger)
{
    public async Task<TenantView> HandleAsync(Guid id, CancellationToken ct)
    {
        if (!await store.SetDisabledAsync(id, disabled: true, ct))
        {
            throw AdminProblems.TenantNotFound(id);
        }

        LogDisabled(logger, id);
        return (await views.LoadAsync(id, ct))!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} disabled")]
    private static partial void LogDisabled(ILogger logger, Guid tenantId);
}
