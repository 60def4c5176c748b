using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Compliance.EraseTenant;

/// <summary>What a tenant erase removed, when, and on whose request. Returned once; the audit log keeps it without the tenant's id.</summary>
/// <param name="Audited">Whether the erase's own audit entry is durable (false: the database failed it; the erase itself is done).</param>
internal sealed record ErasureReceipt(Guid ReceiptId, Guid TenantId, DateTimeOffset ErasedAt, string ErasedBy, IReadOnlyDictionary<string, long> Removed, bool Audited);

/// <summary>
/// Erases a tenant: disables it first (its keys stop working everywhere), then removes its jobs
/// (with their Hangfire jobs), webhook secrets, results, images and data key, clears it from the
/// audit log's entries, and removes its Tenancy rows last, so an erase that fails half-way is
/// found and run again. What an in-flight request or worker writes after the erase, on any
/// instance, is found later by <see cref="LeftoverErasure"/>.
/// </summary>
internal sealed partial class TenantEraser(ITenantLifecycle tenants, TenantData data, IAuditTrail audit, TimeProvider time, ILogger<TenantEraser> logger)
{
    /// <summary>The receipt; null when there is no such tenant.</summary>
    public async Task<ErasureReceipt?> EraseAsync(Guid tenantId, string erasedBy, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("compliance.erase_tenant");
        if (!await tenants.DisableAsync(tenantId, ct))
        {
            return null;
        }

        var removed = await data.EraseAsync(tenantId, ct);
        // The directory last: until the tenant row goes, a retried erase still finds the tenant.
        var tenancy = await tenants.EraseAsync(tenantId, ct);
        removed["tenancy.tenants"] = tenancy.Tenants;
        removed["tenancy.plans"] = tenancy.Plans;
        removed["tenancy.api_keys"] = tenancy.ApiKeys;
        removed["tenancy.usage"] = tenancy.Usage;
        removed["tenancy.rate_buckets"] = tenancy.RateBuckets;
        removed["tenancy.idempotency"] = tenancy.IdempotencyRecords;

        var receiptId = Guid.CreateVersion7();
        // The log keeps that an erase happened and what it removed, under the receipt's id: not whose.
        var audited = await audit.RecordAsync(new AuditEvent("tenant.erase", TenantId: null, Target: "receipt:" + receiptId, Status: 200,
            Detail: JsonSerializer.Serialize(removed)), CancellationToken.None);
        ComplianceMetrics.Erasures.Inc();
        LogErased(logger, receiptId, removed.Values.Sum(), audited);
        return new ErasureReceipt(receiptId, tenantId, time.GetUtcNow(), erasedBy, removed, audited);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant erased on request: receipt {ReceiptId}, {Rows} rows and objects removed, audit entry written: {Audited}")]
    private static partial void LogErased(ILogger logger, Guid receiptId, long rows, bool audited);
}
