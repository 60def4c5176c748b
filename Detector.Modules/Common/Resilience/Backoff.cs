namespace Detector.Modules.Common.Resilience;

/// <summary>
/// Exponential backoff with "equal jitter" for retries that are re-run later rather than inside
/// one call (a job item or webhook rescheduled through Hangfire, an executor's session being
/// recreated), where Polly's retry strategy, which retries within one execution, does not apply.
/// </summary>
/// <remarks>
/// Jitter because many retries start from the same event (a receiver down, the database back):
/// without it every item of every job retries in the same second, and the herd meets the
/// recovering dependency together. Half the delay is kept so a retry never comes back at once.
/// </remarks>
public static class Backoff
{
    /// <summary>initial x 2^(attempt - 1), capped at <paramref name="max"/>: the delay before jitter.</summary>
    public static TimeSpan Exponential(int attempt, TimeSpan initial, TimeSpan max)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        var ticks = initial.Ticks * Math.Pow(2, exponent);
        return TimeSpan.FromTicks((long)Math.Min(ticks, max.Ticks));
    }

    /// <summary>A delay drawn uniformly from [half, all] of <see cref="Exponential"/>.</summary>
    public static TimeSpan Jittered(int attempt, TimeSpan initial, TimeSpan max, Random? random = null)
    {
        var full = Exponential(attempt, initial, max);
        var half = full.Ticks / 2;
        return TimeSpan.FromTicks(half + (long)((random ?? Random.Shared).NextDouble() * (full.Ticks - half)));
    }

    /// <inheritdoc cref="Jittered(int, TimeSpan, TimeSpan, Random?)"/>
    public static TimeSpan Jittered(int attempt, double initialSeconds, double maxSeconds) =>
        Jittered(attempt, TimeSpan.FromSeconds(initialSeconds), TimeSpan.FromSeconds(maxSeconds));
}
