using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Jobs.Contracts;

/// <summary>Job states as the API spells them (field `status`).</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string PartiallyFailed = "partially_failed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsTerminal(string status) => status is Succeeded or PartiallyFailed or Failed or Cancelled;
}

/// <summary>The 202 answer to an accepted job: poll <see cref="StatusUrl"/> until the status is terminal.</summary>
public sealed record JobAccepted(Guid Id, string Status, string StatusUrl, string ResultsUrl);

/// <summary>One image for <see cref="IJobSubmitter"/>; the bytes are stored before the job is accepted.</summary>
public sealed record JobImage(ReadOnlyMemory<byte> Bytes, string? FileName);

/// <summary>
/// Lets other modules turn work into an async job (e.g. the sync detect endpoint's
/// `Prefer: respond-async` fallback). Everything is durable when the call returns.
/// </summary>
public interface IJobSubmitter
{
    Task<JobAccepted> SubmitAsync(Guid tenantId, IReadOnlyList<JobImage> images, string? model, DetectionOptions options, CancellationToken cancellationToken);
}

/// <summary>What erasing a tenant's jobs removed, by kind.</summary>
public sealed record TenantJobsErasure(long Jobs, long Items, long WebhookAttempts, long WebhookSecrets, long HangfireJobs);

/// <summary>What one retention batch removed: finished jobs (with their items) and the images they named.</summary>
public sealed record JobsPurge(int Jobs, IReadOnlyList<string> Images);

/// <summary>A tenant's job data as a whole, for erasure and retention (the Compliance module).</summary>
public interface ITenantJobData
{
    /// <summary>
    /// Removes every job, item, webhook attempt and webhook secret of the tenant, and every
    /// Hangfire job (arguments, state history, queue entries) that names the tenant or its jobs.
    /// </summary>
    Task<TenantJobsErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Every tenant with a job or a webhook secret here.</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> finished jobs of the tenant created before <paramref name="cutoff"/>, oldest first.</summary>
    Task<JobsPurge> PurgeAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes those of the tenant's images that no job item or result of it holds any more; returns how many went.</summary>
    Task<int> DeleteUnusedImagesAsync(Guid tenantId, IEnumerable<string> sha256s, CancellationToken cancellationToken);
}
