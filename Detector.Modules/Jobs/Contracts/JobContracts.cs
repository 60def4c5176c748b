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

/// <summary>What erasing a tenant's jobs removed, by kind (a job's webhook attempts go with it).</summary>
public sealed record TenantJobsErasure(long Jobs, long Items, long WebhookAttempts, long HangfireJobs);

/// <summary>What one retention batch removed: finished jobs (with their items) and the images they named.</summary>
public sealed record JobsPurge(IReadOnlyList<Guid> JobIds, IReadOnlyList<string> Images)
{
    public int Jobs => JobIds.Count;
}

/// <summary>A tenant's job data as a whole, for erasure and retention (the Compliance module).</summary>
public interface ITenantJobData
{
    /// <summary>
    /// Removes every job of the tenant with its items and webhook attempts, and every
    /// Hangfire job (arguments, state history, queue entries) that names the tenant or its jobs.
    /// </summary>
    Task<TenantJobsErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Every tenant with a job here.</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> finished jobs of the tenant created before <paramref name="cutoff"/>, oldest first.</summary>
    Task<JobsPurge> PurgeAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> failed background jobs (Hangfire keeps them, with
    /// their arguments, until deleted) created before <paramref name="cutoff"/> that name the
    /// tenant or one of its jobs, with their state history and parameters; returns how many went.
    /// Retention calls it before deleting the tenant's old jobs, by which the webhook deliveries are found.
    /// </summary>
    Task<int> PurgeFailedBackgroundJobsAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes those of the tenant's images that no job item or result of it holds any more; returns how many went.</summary>
    Task<int> DeleteUnusedImagesAsync(Guid tenantId, IEnumerable<string> sha256s, CancellationToken cancellationToken);
}
