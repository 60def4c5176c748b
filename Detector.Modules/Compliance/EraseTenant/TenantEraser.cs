using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.Audit;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Compliance.EraseTenant;

/// <summary>What a tenant erase removed, when, and on whose request. Returned once; the audit log keeps it without the tenant's id.</summary>
/// <param name="Audited">Whether the erase's own audit entry is durable (false: the database failed it; the erase itself is done).</param>
internal sealed record ErasureReceipt(Guid ReceiptId, Guid TenantId, DateTimeOffset ErasedAt, string ErasedBy, IReadOnlyDictionary<string, long> Removed, bool Audited);

/// <summary>
/// Erases a tenant: disables it first (its keys stop working everywhere), then removes its jobs
/// (with their Hangfire jobs), results, images and data key, clears it from the audit log's
/// entries, and removes its Tenancy rows last, so an erase that fails half-way is found and run
/// again. Each module removes its own data through its contract; this use case only orders them.
/// What an in-flight request or worker writes after the erase, on any instance, is found later
/// by <see cref="SweepOrphansAsync"/> (data of a tenant the directory no longer has).
/// </summary>
internal sealed partial class TenantEraser(
    ITenantLifecycle tenants,
    ITenantDirectory directory,
    ITenantJobData jobs,
    IResultStore results,
    IImageStore images,
    AuditStore auditStore,
    AuditWriter auditWriter,
    IAuditTrail audit,
    TimeProvider time,
    ILogger<TenantEraser> logger)
{
    public async Task<ErasureReceipt?> EraseAsync(Guid tenantId, string erasedBy, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("compliance.erase_tenant");
        if (!await tenants.DisableAsync(tenantId, ct))
        {
            return null;
        }

        var removed = await EraseDataAsync(tenantId, ct);
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

    /// <summary>
    /// Erases, in this region, the data of tenants the directory no longer has: what a worker or a
    /// request in flight during an erase wrote after it, or what an erase that failed after
    /// removing the tenant left. Run by retention. Returns how many tenants it cleaned.
    /// </summary>
    public async Task<int> SweepOrphansAsync(CancellationToken ct)
    {
        var seen = new HashSet<Guid>();
        seen.UnionWith(await results.TenantIdsAsync(ct));
        seen.UnionWith(await jobs.TenantIdsAsync(ct));
        seen.UnionWith(await images.TenantIdsAsync(ct));
        seen.UnionWith(await tenants.RegionalTenantIdsAsync(ct));
        seen.UnionWith(await auditStore.TenantIdsAsync(ct));
        var cleaned = 0;
        foreach (var tenantId in seen)
        {
            if (await directory.FindAsync(tenantId, ct) is not null)
            {
                continue;
            }

            var removed = await EraseDataAsync(tenantId, ct);
            var regional = await tenants.EraseAsync(tenantId, ct); // usage, buckets, idempotency; the directory has nothing
            removed["tenancy.regional"] = regional.Usage + regional.RateBuckets + regional.IdempotencyRecords;
            _ = audit.RecordAsync(new AuditEvent("tenant.erase.leftovers", Status: 200, Detail: JsonSerializer.Serialize(removed)), CancellationToken.None);
            LogOrphans(logger, removed.Values.Sum());
            cleaned++;
        }

        return cleaned;
    }

    private async Task<SortedDictionary<string, long>> EraseDataAsync(Guid tenantId, CancellationToken ct)
    {
        // Jobs first, so no worker picks up more of the tenant's work; then what work produced.
        var jobData = await jobs.EraseTenantAsync(tenantId, ct);
        var resultRows = await results.EraseTenantAsync(tenantId, ct);
        var imageData = await images.EraseTenantAsync(tenantId, ct);
        // Entries this instance still holds for the tenant are written before they are cleared.
        await auditWriter.FlushAsync();
        var redacted = await auditStore.RedactTenantAsync(tenantId, ct);
        // A worker finishing an item of the tenant during the steps above may have written one
        // more result or image: a second pass takes it (both are idempotent).
        resultRows += await results.EraseTenantAsync(tenantId, ct);
        var images2 = await images.EraseTenantAsync(tenantId, ct);
        return new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["jobs.jobs"] = jobData.Jobs,
            ["jobs.items"] = jobData.Items,
            ["jobs.webhook_attempts"] = jobData.WebhookAttempts,
            ["jobs.webhook_secrets"] = jobData.WebhookSecrets,
            ["hangfire.jobs"] = jobData.HangfireJobs,
            ["results.results"] = resultRows,
            ["images.blobs"] = imageData.Blobs + images2.Blobs,
            ["images.tenant_keys"] = imageData.DataKeys + images2.DataKeys,
            ["audit.entries_redacted"] = redacted,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant erased on request: receipt {ReceiptId}, {Rows} rows and objects removed, audit entry written: {Audited}")]
    private static partial void LogErased(ILogger logger, Guid receiptId, long rows, bool audited);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erased leftovers of a tenant no longer in the directory: {Rows} rows and objects")]
    private static partial void LogOrphans(ILogger logger, long rows);
}
