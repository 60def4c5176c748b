using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Jobs;

internal sealed class JobsOptions : IValidatableObject
{
    public const string SectionName = "Jobs";

    /// <summary>Hangfire's retries of a chunk, before Jobs:ChunkRetryDelaysSeconds is set.</summary>
    public static readonly IReadOnlyList<int> DefaultChunkRetryDelaysSeconds = [5, 15, 60, 300, 900];

    /// <summary>Hangfire's retries of a webhook delivery job, before Jobs:WebhookJobRetryDelaysSeconds is set.</summary>
    public static readonly IReadOnlyList<int> DefaultWebhookJobRetryDelaysSeconds = [10, 60, 300, 900, 3600];

    /// <summary>Most images (files or URLs) one job may carry.</summary>
    [Range(1, 100_000)]
    public int MaxImagesPerJob { get; set; } = 500;

    /// <summary>Most bytes of images one multipart job may upload in all.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxTotalBytes { get; set; } = 500L * 1024 * 1024;

    /// <summary>Largest single image, uploaded or fetched; the same default as the sync API's limit.</summary>
    [Range(1024, 1L << 31)]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Items per Hangfire job; a chunk's items run concurrently so the batch scheduler sees full batches.</summary>
    [Range(1, 256)]
    public int ChunkSize { get; set; } = 8;

    /// <summary>Attempts per item for transient failures (overload, database, network) before it fails.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>First retry delay of an item; doubles per attempt up to <see cref="RetryMaxDelaySeconds"/>.</summary>
    [Range(0.01, 86_400)]
    public double RetryInitialDelaySeconds { get; set; } = 5;

    [Range(0.01, 86_400)]
    public double RetryMaxDelaySeconds { get; set; } = 600;

    /// <summary>
    /// How long a chunk waits for the models to be ready (an instance starting up) before it fails;
    /// Hangfire then retries the chunk (<see cref="ChunkRetryAttempts"/>).
    /// </summary>
    [Range(1, 86_400)]
    public double ReadinessWaitSeconds { get; set; } = 300;

    /// <summary>
    /// Hangfire's own retries of a chunk whose execution failed outright (the database down while
    /// claiming, the models not ready in time); an item's failures are retried per item instead
    /// (<see cref="MaxAttempts"/>). After the last, the chunk's Hangfire job fails and the recovery
    /// sweep dispatches its items again.
    /// </summary>
    [Range(0, 100)]
    public int ChunkRetryAttempts { get; set; } = 5;

    /// <summary>Seconds before each of those retries (the last repeats); default 5, 15, 60, 300, 900.</summary>
    public int[]? ChunkRetryDelaysSeconds { get; set; }

    /// <summary>Hangfire's retries of a webhook delivery job that failed outright (not a failed delivery: that is the Webhooks module's backoff).</summary>
    [Range(0, 100)]
    public int WebhookJobRetryAttempts { get; set; } = 5;

    /// <summary>Seconds before each of those retries (the last repeats); default 10, 60, 300, 900, 3600.</summary>
    public int[]? WebhookJobRetryDelaysSeconds { get; set; }

    /// <summary>Recorded on each item as processed_by; defaults to machine name and process id.</summary>
    [MaxLength(200)]
    public string? InstanceId { get; set; }

    /// <summary>
    /// How long a claimed item stays with its worker without a renewal. Each process renews its
    /// leases every third of this; a killed process's items become claimable when it runs out.
    /// </summary>
    [Range(1, 3600)]
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>How long the work of a disabled tenant waits before it is looked at again.</summary>
    [Range(1, 86_400)]
    public double DisabledTenantRecheckSeconds { get; set; } = 60;

    /// <summary>How often the recovery sweep re-dispatches items whose lease expired or that have no ticket.</summary>
    [Range(0.1, 3600)]
    public double SweepIntervalSeconds { get; set; } = 15;

    /// <summary>How long a queued item may sit without a dispatch ticket before the sweep dispatches it (covers the commit-to-enqueue window).</summary>
    [Range(0.1, 86_400)]
    public double OrphanGraceSeconds { get; set; } = 60;

    public string ResolveInstanceId() =>
        string.IsNullOrWhiteSpace(InstanceId) ? $"{Environment.MachineName}:{Environment.ProcessId}" : InstanceId;

    public IReadOnlyList<int> ResolveChunkRetryDelays() => ChunkRetryDelaysSeconds is { Length: > 0 } d ? d : DefaultChunkRetryDelaysSeconds;

    public IReadOnlyList<int> ResolveWebhookJobRetryDelays() => WebhookJobRetryDelaysSeconds is { Length: > 0 } d ? d : DefaultWebhookJobRetryDelaysSeconds;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, delays) in new[] { (nameof(ChunkRetryDelaysSeconds), ChunkRetryDelaysSeconds), (nameof(WebhookJobRetryDelaysSeconds), WebhookJobRetryDelaysSeconds) })
        {
            if (delays is not null && delays.Any(d => d is < 0 or > 86_400))
            {
                yield return new ValidationResult($"Every one of Jobs:{name} must be 0 to 86400 seconds.", [name]);
            }
        }
    }
}

internal sealed class HangfireSettings
{
    public const string SectionName = "Jobs:Hangfire";

    /// <summary>Hangfire's PostgreSQL schema.</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string Schema { get; set; } = "hangfire";

    /// <summary>Whether this instance runs a Hangfire server (workers); the API works without one.</summary>
    public bool RunServer { get; set; } = true;

    /// <summary>Hangfire workers; 0 means the processor count.</summary>
    [Range(0, 1000)]
    public int WorkerCount { get; set; }

    [Range(10, 60_000)]
    public int QueuePollIntervalMs { get; set; } = 500;

    /// <summary>How often scheduled (delayed) jobs are moved to their queue; retries and webhook backoff wait on it.</summary>
    [Range(100, 60_000)]
    public int SchedulePollingIntervalMs { get; set; } = 1000;

    /// <summary>A fetched job whose worker died becomes visible again after this long (sliding while the worker lives).</summary>
    [Range(1, 86_400)]
    public int InvisibilityTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Age at which Hangfire.PostgreSql breaks a distributed lock. Its locks are rows, not
    /// sessions, so a process killed while changing a job's state leaves the lock behind and the
    /// job cannot move until this passes (the library's default is 10 minutes). Hangfire holds
    /// these locks for milliseconds (state changes, the schedule poller), so seconds are safe.
    /// </summary>
    [Range(5, 3600)]
    public int DistributedLockTimeoutSeconds { get; set; } = 30;

    public int ResolveWorkerCount() => WorkerCount > 0 ? WorkerCount : Environment.ProcessorCount;
}
