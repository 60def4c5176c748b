using Detector.Modules.Compliance.Audit;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Labeling.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Webhooks.Contracts;

namespace Detector.Modules.Compliance.EraseTenant;

/// <summary>
/// A tenant's data in the modules that hold it, outside Tenancy's own rows: each module removes
/// its own through its contract; this class only orders them and names what went (the receipt's
/// keys, which stay as they are whichever module now owns a table: ADR 0015).
/// </summary>
internal sealed class TenantData(
    ITenantJobData jobs,
    ITenantWebhookData webhooks,
    IResultStore results,
    IImageStore images,
    ITenantDatasetData datasets,
    ITenantLabelingData labeling,
    AuditStore auditStore,
    AuditWriter auditWriter)
{
    /// <summary>Every tenant this region holds data of, in any of these modules (the audit log included).</summary>
    public async Task<HashSet<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        var seen = new HashSet<Guid>();
        seen.UnionWith(await results.TenantIdsAsync(ct));
        seen.UnionWith(await jobs.TenantIdsAsync(ct));
        seen.UnionWith(await webhooks.TenantIdsAsync(ct));
        seen.UnionWith(await images.TenantIdsAsync(ct));
        seen.UnionWith(await datasets.TenantIdsAsync(ct));
        seen.UnionWith(await labeling.TenantIdsAsync(ct));
        seen.UnionWith(await auditStore.TenantIdsAsync(ct));
        return seen;
    }

    public async Task<SortedDictionary<string, long>> EraseAsync(Guid tenantId, CancellationToken ct)
    {
        // Jobs first, so no worker picks up more of the tenant's work; then what work produced.
        var jobData = await jobs.EraseTenantAsync(tenantId, ct);
        var webhookSecrets = await webhooks.EraseTenantAsync(tenantId, ct);
        // Labeling before results and images: its rows name both.
        var labelingData = await labeling.EraseTenantAsync(tenantId, ct);
        var resultRows = await results.EraseTenantAsync(tenantId, ct);
        // Dataset entries before the images they name: a version keeps its id, and loses the tenant.
        var datasetEntries = await datasets.EraseTenantAsync(tenantId, ct);
        var imageData = await images.EraseTenantAsync(tenantId, ct);
        // Entries this instance still holds for the tenant are written before they are cleared.
        await auditWriter.FlushAsync();
        var redacted = await auditStore.RedactTenantAsync(tenantId, ct);
        // A worker finishing an item of the tenant during the steps above may have written one
        // more result or image: a second pass takes it (both are idempotent).
        resultRows += await results.EraseTenantAsync(tenantId, ct);
        datasetEntries += await datasets.EraseTenantAsync(tenantId, ct);
        var images2 = await images.EraseTenantAsync(tenantId, ct);
        return new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["jobs.jobs"] = jobData.Jobs,
            ["jobs.items"] = jobData.Items,
            ["jobs.webhook_attempts"] = jobData.WebhookAttempts,
            ["jobs.webhook_secrets"] = webhookSecrets, // the Webhooks module's table, still in the jobs schema (ADR 0015)
            ["hangfire.jobs"] = jobData.HangfireJobs,
            ["results.results"] = resultRows,
            ["images.blobs"] = imageData.Blobs + images2.Blobs,
            ["images.tenant_keys"] = imageData.DataKeys + images2.DataKeys,
            ["audit.entries_redacted"] = redacted,
            ["datasets.entries_erased"] = datasetEntries,
            ["labeling.feedback"] = labelingData.Feedback,
            ["labeling.items"] = labelingData.Items,
            ["labeling.label_sets"] = labelingData.LabelSets,
            ["labeling.assignments"] = labelingData.Assignments,
            ["labeling.grants"] = labelingData.Grants,
            ["labeling.disagreements"] = labelingData.Disagreements,
        };
    }
}
