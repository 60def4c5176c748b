namespace Detector.Client;

/// <summary>How a <see cref="DetectorClient"/> authenticates and retries.</summary>
public sealed record DetectorClientOptions
{
    /// <summary>The tenant's API key, sent as <c>X-Api-Key</c>; null when the HttpClient already sends one.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// How long one call may take with its retries: no wait is begun that would end past it, and
    /// the last refusal is thrown instead. The caller's CancellationToken stops a call at any moment.
    /// </summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of one call at most, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The first backoff of a retry the service gave no Retry-After for; it doubles per attempt, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff between attempts when the service named none (a Retry-After is honoured whatever its length, within <see cref="Deadline"/>).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often <see cref="DetectorClient.WaitForJobAsync"/> asks for a job's status.</summary>
    public TimeSpan JobPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock the deadline and the waits are measured on (tests move it by hand).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
