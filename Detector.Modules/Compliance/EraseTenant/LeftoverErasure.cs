using System.Text.Json;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Compliance.EraseTenant;

/// <summary>
/// Erases, in this region, the data of tenants the directory no longer has: what a worker or a
/// request in flight during an erase wrote after it, or what an erase that failed after removing
/// the tenant left. Run by retention.
/// </summary>
internal sealed partial class LeftoverErasure(ITenantLifecycle tenants, ITenantDirectory directory, TenantData data, IAuditTrail audit, ILogger<LeftoverErasure> logger)
{
    /// <summary>Returns how many tenants it cleaned.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var seen = await data.TenantIdsAsync(ct);
        seen.UnionWith(await tenants.RegionalTenantIdsAsync(ct));
        var cleaned = 0;
        foreach (var tenantId in seen)
        {
            if (await directory.FindAsync(tenantId, ct) is not null)
            {
                continue;
            }

            var removed = await data.EraseAsync(tenantId, ct);
            var regional = await tenants.EraseAsync(tenantId, ct); // usage, buckets, idempotency; the directory has nothing
            removed["tenancy.regional"] = regional.Usage + regional.RateBuckets + regional.IdempotencyRecords;
            audit.Record(new AuditEvent("tenant.erase.leftovers", Status: 200, Detail: JsonSerializer.Serialize(removed)), logger);
            LogOrphans(logger, removed.Values.Sum());
            cleaned++;
        }

        return cleaned;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erased leftovers of a tenant no longer in the directory: {Rows} rows and objects")]
    private static partial void LogOrphans(ILogger logger, long rows);
}
