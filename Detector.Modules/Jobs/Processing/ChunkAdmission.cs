using Detector.Modules.Jobs.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Jobs.Processing;

/// <summary>A chunk's job and its tenant's plan, once the chunk may run.</summary>
internal sealed record AdmittedChunk(JobRow Job, TenantPlan Plan);

/// <summary>
/// Whether a chunk runs now: its job and tenant must exist (work of an erased job or tenant is
/// dropped), and a disabled tenant's chunk waits, unclaimed and uncounted, and comes back later.
/// </summary>
internal sealed partial class ChunkAdmission(JobStore store, ITenantDirectory tenants, JobDispatcher dispatcher, ILogger<ChunkAdmission> logger)
{
    public async Task<AdmittedChunk?> AdmitAsync(Guid tenantId, Guid jobId, int first, int last, CancellationToken ct)
    {
        var job = await store.GetForWorkerAsync(jobId, ct);
        if (job is null || job.TenantId != tenantId || await tenants.FindAsync(tenantId, ct) is not { } tenant)
        {
            LogJobMissing(logger, jobId);
            return null;
        }

        if (tenant.Disabled)
        {
            LogTenantDisabled(logger, tenantId, jobId);
            await dispatcher.DeferChunkAsync(tenantId, jobId, first, last, JobStore.QueueFor(job.Priority), ct);
            return null;
        }

        return new AdmittedChunk(job, tenant.Plan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} is disabled; job {JobId} waits")]
    private static partial void LogTenantDisabled(ILogger logger, Guid tenantId, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not found; dropping its Hangfire work")]
    private static partial void LogJobMissing(ILogger logger, Guid jobId);
}
