using System.Globalization;
using System.Threading.RateLimiting;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.RateLimiting;

namespace Detector.Modules.Tenancy.RateLimiting;

/// <summary>
/// The "tenant" policy of ASP.NET Core's rate limiter: one partition per tenant, each a
/// cluster-wide token bucket (<see cref="TenantBuckets"/>), and another for the tenant's browser
/// keys at the plan's tighter browser rate, counted apart (ADR 0027). Every answer of an endpoint under the
/// policy carries the IETF draft RateLimit-Policy and RateLimit fields; a refusal is 429
/// rate_limited with Retry-After. Requests without a tenant (admin) are not limited here.
/// </summary>
internal sealed class TenantRateLimitPolicy(TenantBuckets buckets, TenantMetricIds metricIds) : IRateLimiterPolicy<BucketKey>
{
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => async (context, ct) =>
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = (int)Math.Clamp(Math.Ceiling(retryAfter.TotalSeconds), 1, 3600);
        var browser = http.User.IsBrowserKey();
        if (http.User.TryGetTenantId() is { } tenant)
        {
            TenancyMetrics.Refusals.WithLabels(metricIds.For(tenant), browser ? "browser_rate_limited" : "rate_limited").Inc();
            WriteHeaders(http, new BucketKey(tenant, browser), buckets.Peek(new BucketKey(tenant, browser)) with { Remaining = 0, RetryAfterSeconds = seconds });
        }

        var whose = browser ? "This tenant's browser-key" : "This tenant's";
        await ProblemWriter.WriteAsync(http, new DomainException(OutcomeKind.TooManyRequests, ErrorCodes.RateLimited, "Rate limited", $"{whose} request rate is used up; retry in {seconds} s.") { RetryAfterSeconds = seconds });
    };

    public RateLimitPartition<BucketKey> GetPartition(HttpContext httpContext)
    {
        if (httpContext.User.TryGetTenantId() is not { } tenant)
        {
            return RateLimitPartition.GetNoLimiter(default(BucketKey));
        }

        var key = new BucketKey(tenant, httpContext.User.IsBrowserKey());
        httpContext.Response.OnStarting(static state =>
        {
            var (http, buckets, key) = ((HttpContext, TenantBuckets, BucketKey))state;
            if (http.Response.StatusCode != StatusCodes.Status429TooManyRequests)
            {
                WriteHeaders(http, key, buckets.Peek(key));
            }

            return Task.CompletedTask;
        }, (httpContext, buckets, key));
        return RateLimitPartition.Get(key, k => new ClusterTokenBucketLimiter(k, buckets, metricIds.For(k.TenantId)));
    }

    /// <summary>draft-ietf-httpapi-ratelimit-headers: the bucket holds q requests and refills in w seconds; r remain, t seconds until one more.</summary>
    private static void WriteHeaders(HttpContext http, BucketKey key, RateState state)
    {
        if (state.Burst <= 0)
        {
            return;
        }

        var window = (int)Math.Max(1, Math.Ceiling(state.Burst / state.RequestsPerSecond));
        var reset = state.RetryAfterSeconds > 0 ? (int)Math.Ceiling(state.RetryAfterSeconds) : 0;
        http.Response.Headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{Name(key)}\";q={state.Burst};w={window}");
        http.Response.Headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{Name(key)}\";r={Math.Max(0, (long)state.Remaining)};t={reset}");
    }

    private static string Name(BucketKey key) => key.Browser ? "browser" : "tenant";

    /// <summary>The limiter of one tenant partition; the state lives in <see cref="TenantBuckets"/>, shared with the headers.</summary>
    private sealed class ClusterTokenBucketLimiter(BucketKey key, TenantBuckets buckets, string metricsId) : RateLimiter
    {
        private long _lastUse = Environment.TickCount64;

        public override TimeSpan? IdleDuration => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastUse));

        public override RateLimiterStatistics? GetStatistics() => null;

        // The synchronous path cannot wait for the database; the middleware uses the async one.
        protected override RateLimitLease AttemptAcquireCore(int permitCount) => new Lease(false, TimeSpan.FromSeconds(1));

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastUse, Environment.TickCount64);
            var (acquired, state) = await buckets.AcquireAsync(key, cancellationToken);
            if (acquired)
            {
                (key.Browser ? TenancyMetrics.BrowserRequests : TenancyMetrics.TenantRequests).WithLabels(metricsId).Inc();
            }

            return new Lease(acquired, TimeSpan.FromSeconds(state.RetryAfterSeconds));
        }
    }

    private sealed class Lease(bool acquired, TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => acquired ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (!acquired && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = retryAfter;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
