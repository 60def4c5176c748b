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
internal sealed record ErasureReceipt(Guid ReceiptId, Guid TenantId, DateTimeOffset ErasedAt, string ErasedBy, IReadOnlyDictionary<string, long> Removed);

/// <summary>
/// Erases a tenant: disables it first (its keys stop working everywhere), then removes its jobs
/// (with their Hangfire jobs), results, images and data key, its Tenancy rows, and clears it from
/// the audit log's entries. Each module removes its own data through its contract; this use case
/// only orders them. Every step is idempotent, so a failed erase is simply run again.
/// </summary>
internal sealed partial class TenantEraser(
    ITenantLifecycle tenants,
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

        // Jobs first, so no worker picks up more of the tenant's work; then what work produced.
        var jobData = await jobs.EraseTenantAsync(tenantId, ct);
        var resultRows = await results.EraseTenantAsync(tenantId, ct);
        var imageData = await images.EraseTenantAsync(tenantId, ct);
        var tenancy = await tenants.EraseAsync(tenantId, ct);
        // A worker that was finishing an item of the tenant during the steps above may have
        // written one more result or image: a second pass takes it (both are idempotent).
        resultRows += await results.EraseTenantAsync(tenantId, ct);
        var images2 = await images.EraseTenantAsync(tenantId, ct);
        // Entries this instance still holds for the tenant are written before they are cleared.
        await auditWriter.FlushAsync();
        var redacted = await auditStore.RedactTenantAsync(tenantId, ct);

        var removed = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["tenancy.tenants"] = tenancy.Tenants,
            ["tenancy.plans"] = tenancy.Plans,
            ["tenancy.api_keys"] = tenancy.ApiKeys,
            ["tenancy.usage"] = tenancy.Usage,
            ["tenancy.rate_buckets"] = tenancy.RateBuckets,
            ["tenancy.idempotency"] = tenancy.IdempotencyRecords,
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
        var receipt = new ErasureReceipt(Guid.CreateVersion7(), tenantId, time.GetUtcNow(), erasedBy, removed);

        // The log keeps that an erase happened and what it removed, under the receipt's id: not whose.
        await audit.RecordAsync(new AuditEvent("tenant.erase", TenantId: null, Target: "receipt:" + receipt.ReceiptId, Status: 200,
            Detail: JsonSerializer.Serialize(removed)), CancellationToken.None);
        ComplianceMetrics.Erasures.Inc();
        LogErased(logger, receipt.ReceiptId, removed.Values.Sum());
        return receipt;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant erased on request: receipt {ReceiptId}, {Rows} rows and objects removed")]
    private static partial void LogErased(ILogger logger, Guid receiptId, long rows);
}
