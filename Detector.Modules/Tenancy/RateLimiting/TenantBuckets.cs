using System.Collections.Concurrent;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.RateLimiting;

/// <summary>A tenant's bucket: its secret keys' (and the admin's), or its browser keys' (ADR 0027).</summary>
internal readonly record struct BucketKey(Guid TenantId, bool Browser)
{
    public string Kind => Browser ? TenantClaims.BrowserKey : TenantClaims.SecretKey;
}

/// <summary>One tenant's view of its rate limit on this instance.</summary>
internal readonly record struct RateState(double RequestsPerSecond, int Burst, double Remaining, double RetryAfterSeconds);

/// <summary>
/// Each tenant's local token bucket on this instance, refilled from the shared bucket in blocks
/// of about <see cref="GuardOptions.RateLeaseSeconds"/> of the plan's rate. A request costs a
/// database round trip only when the local bucket is empty, and while the shared one is empty
/// too, refusals cost none (the time of the next token is known).
/// </summary>
internal sealed class TenantBuckets
{
    /// <summary>Most tokens leased in one round trip, whatever the plan: a very large plan must not park its rate on one instance.</summary>
    private const int MaxBlock = 1000;
    private readonly ConcurrentDictionary<BucketKey, Bucket> _buckets = new();
    private readonly RateBucketStore _store;
    private readonly ITenantDirectory _directory;
    private readonly TimeProvider _time;
    private readonly IOptions<GuardOptions> _options;

    public TenantBuckets(RateBucketStore store, ITenantDirectory directory, TimeProvider time, IOptions<GuardOptions> options, TenancyCache changes)
    {
        _store = store;
        _directory = directory;
        _time = time;
        _options = options;
        // A new plan applies at once: tokens leased under the old one are dropped (never handed back).
        changes.Changed += tenant =>
        {
            if (tenant is { } id)
            {
                _buckets.TryRemove(new BucketKey(id, false), out _);
                _buckets.TryRemove(new BucketKey(id, true), out _);
            }
            else
            {
                _buckets.Clear();
            }
        };
    }

    /// <summary>
    /// Takes one token: locally if there is one, else after leasing a block from the shared
    /// bucket (sized to the requests waiting, so a burst costs few round trips). Refused only
    /// once the shared bucket is empty too.
    /// </summary>
    public async ValueTask<(bool Acquired, RateState State)> AcquireAsync(BucketKey key, CancellationToken ct)
    {
        var bucket = _buckets.GetOrAdd(key, _ => new Bucket());
        while (true)
        {
            Task refill;
            lock (bucket)
            {
                if (bucket.Tokens >= 1)
                {
                    bucket.Tokens -= 1;
                    return (true, bucket.State(0));
                }

                var now = _time.GetUtcNow();
                if (now < bucket.EmptyUntil)
                {
                    return (false, bucket.State((bucket.EmptyUntil - now).TotalSeconds));
                }

                bucket.Waiting++;
                // Started on the pool, never inline under this lock; shared by every waiter, so no one caller's cancellation stops it.
                refill = bucket.Refill ??= Task.Run(() => RefillAsync(key, bucket), CancellationToken.None);
            }

            try
            {
                await refill.WaitAsync(ct);
            }
            finally
            {
                lock (bucket)
                {
                    bucket.Waiting--;
                }
            }
        }
    }

    /// <summary>The last known state, for the RateLimit headers of an admitted request.</summary>
    public RateState Peek(BucketKey key)
    {
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            return default;
        }

        lock (bucket)
        {
            return bucket.State(0);
        }
    }

    private async Task RefillAsync(BucketKey key, Bucket bucket)
    {
        try
        {
            var plan = (await _directory.FindAsync(key.TenantId, CancellationToken.None))?.Plan;
            if (plan is null)
            {
                lock (bucket)
                {
                    bucket.EmptyUntil = _time.GetUtcNow().AddSeconds(1); // no such tenant: nothing to grant
                }

                return;
            }

            int waiting;
            lock (bucket)
            {
                waiting = bucket.Waiting;
            }

            var (rate, burst) = key.Browser ? (plan.BrowserRequestsPerSecond, plan.BrowserBurst) : (plan.RequestsPerSecond, plan.Burst);
            var block = (int)Math.Clamp(Math.Max(Math.Ceiling(rate * _options.Value.RateLeaseSeconds), waiting), 1, Math.Min(burst, MaxBlock));
            var (granted, remaining) = await _store.TakeAsync(key.TenantId, key.Kind, block, rate, burst, CancellationToken.None);
            lock (bucket)
            {
                bucket.Tokens += granted;
                bucket.Shared = remaining;
                bucket.Rate = rate;
                bucket.Burst = burst;
                // Empty everywhere: ask again when a whole block has grown back, not at every token,
                // so clients that resend at once cost this instance a few round trips a second at most.
                bucket.EmptyUntil = granted == 0 ? _time.GetUtcNow().AddSeconds((Math.Min(block, burst) - remaining) / rate) : DateTimeOffset.MinValue;
            }
        }
        finally
        {
            lock (bucket)
            {
                bucket.Refill = null;
            }
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public double Shared { get; set; }

        public double Rate { get; set; } = 1;

        public int Burst { get; set; } = 1;

        public DateTimeOffset EmptyUntil { get; set; } = DateTimeOffset.MinValue;

        public Task? Refill { get; set; }

        public int Waiting { get; set; }

        public RateState State(double retryAfter) => new(Rate, Burst, Math.Floor(Tokens + Shared), retryAfter);
    }
}
