using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>
/// What stands between a flood of made-up keys and the database: each client address may try
/// only a few unknown keys per second (then it gets 429 without a lookup), and only a few key
/// lookups run at once on this instance, so key checks can never take the connection pool.
/// Known keys are answered from the cache and pass neither gate.
/// </summary>
internal sealed class KeyGuard : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly SemaphoreSlim _lookups;

    public KeyGuard(IOptions<GuardOptions> options)
    {
        var o = options.Value;
        _lookups = new SemaphoreSlim(o.MaxConcurrentKeyLookups, o.MaxConcurrentKeyLookups);
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.FailedKeysBurstPerAddress,
            TokensPerPeriod = Math.Max(1, (int)Math.Round(o.FailedKeysPerSecondPerAddress)),
            ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, Math.Round(o.FailedKeysPerSecondPerAddress)) / o.FailedKeysPerSecondPerAddress),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Whether the address still has unknown-key attempts left (nothing is consumed; a zero-permit probe would say yes at zero).</summary>
    public bool MayLookUp(string address) => _failures.GetStatistics(address)?.CurrentAvailablePermits > 0;

    /// <summary>Counts one unknown key against the address.</summary>
    public void RecordFailure(string address)
    {
        using var _ = _failures.AttemptAcquire(address, 1);
    }

    /// <summary>A place among the concurrent lookups, waiting at most a second.</summary>
    public Task<bool> EnterLookupAsync(CancellationToken ct) => _lookups.WaitAsync(TimeSpan.FromSeconds(1), ct);

    public void ExitLookup() => _lookups.Release();

    public void Dispose()
    {
        _failures.Dispose();
        _lookups.Dispose();
    }
}
