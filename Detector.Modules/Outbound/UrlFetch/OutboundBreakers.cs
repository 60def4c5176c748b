using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Prometheus;

namespace Detector.Modules.Outbound.UrlFetch;

/// <summary>
/// A Polly circuit breaker per tenant and outbound host (URL fetches and webhook receivers, each
/// their own): when half of a tenant's calls to a host in a minute (at least ten) failed with a
/// connection error, a timeout, a 5xx or a 429, that tenant's calls to it stop for 30 s (the
/// defaults of <see cref="OutboundBreakersOptions"/>, Outbound:Breakers). Per
/// tenant, because the tenant chooses the URLs: on a shared host (a CDN, an object store) one
/// tenant's paths that time out or answer 5xx must not stop another tenant's fetches there. A URL item or webhook due meanwhile fails
/// at once as a transient failure and is retried on its own backoff, instead of every job's
/// items and every job's webhook waiting out timeouts against a host that is down. Retries stay
/// where they are (per item and per webhook, with jittered exponential backoff): an outbound GET
/// or POST is retried by re-running the item or the delivery, never inside one call.
/// </summary>
/// <remarks>
/// Hosts come from tenants (image URLs, webhook URLs), so the breakers are not kept forever: once
/// there are more than <c>MaxHosts</c>, a sweep (at most every <c>SweepSeconds</c>) forgets the breakers
/// of hosts not called for longer than the sampling window plus the break, whose state no longer
/// decides anything; an open breaker is kept <c>ForgetOpenMinutes</c>, so a host that is down stays broken for
/// a tenant that waits out the sweep. Between sweeps, new hosts arrive only as fast as calls to
/// them are made.
/// </remarks>
internal sealed partial class OutboundBreakers(ILogger<OutboundBreakers> logger, OutboundBreakersOptions options, TimeProvider? time = null)
{
    private readonly TimeSpan _samplingDuration = TimeSpan.FromSeconds(options.SamplingSeconds);
    private readonly TimeSpan _breakDuration = TimeSpan.FromSeconds(options.BreakSeconds);
    private readonly TimeSpan _forgetIdleAfter = TimeSpan.FromSeconds(options.SamplingSeconds + options.BreakSeconds);
    private readonly TimeSpan _forgetOpenAfter = TimeSpan.FromMinutes(options.ForgetOpenMinutes);
    private readonly TimeSpan _sweepEvery = TimeSpan.FromSeconds(options.SweepSeconds);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Breaker> _hosts = new();
    private long _nextSweep;
    private int _count; // the dictionary's Count takes all its locks: counted here instead

    private static readonly Gauge Open = Metrics.CreateGauge("detector_outbound_breakers_open", "Outbound hosts whose circuit breaker is open, by purpose.", new GaugeConfiguration { LabelNames = ["purpose"] });

    private static readonly Gauge Hosts = Metrics.CreateGauge("detector_outbound_breaker_hosts", "Outbound hosts with a circuit breaker kept on this instance.");

    private static readonly Counter ShortCircuited = Metrics.CreateCounter("detector_outbound_short_circuited_total", "Outbound calls not made because the host's breaker was open, by purpose.", new CounterConfiguration { LabelNames = ["purpose"] });

    /// <summary>Hosts whose breaker is kept now (for tests and the gauge).</summary>
    internal int HostCount => Volatile.Read(ref _count);

    /// <summary>Sends through <paramref name="tenant"/>'s breaker for <paramref name="uri"/>'s host; throws <see cref="BrokenCircuitException"/> while it is open.</summary>
    public async Task<HttpResponseMessage> SendAsync(string purpose, Guid tenant, Uri uri, Func<CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var now = _time.GetTimestamp();
        // Keyed by purpose, tenant and authority: one breaker per host a tenant calls (a few hundred bytes each).
        var key = $"outbound:{purpose}:{tenant:N}:{uri.IdnHost}:{uri.Port}";
        if (!_hosts.TryGetValue(key, out var breaker))
        {
            var created = Create(purpose, tenant, uri);
            breaker = _hosts.GetOrAdd(key, created);
            if (ReferenceEquals(breaker, created))
            {
                Hosts.Set(Interlocked.Increment(ref _count));
            }
        }

        Volatile.Write(ref breaker.LastUsed, now);
        if (Volatile.Read(ref _count) > options.MaxHosts)
        {
            Sweep(now);
        }

        var pipeline = breaker.Pipeline;
        try
        {
            return await pipeline.ExecuteAsync(static async (send, ct) => await send(ct), send, cancellationToken);
        }
        catch (BrokenCircuitException)
        {
            ShortCircuited.WithLabels(purpose).Inc();
            throw;
        }
    }

    private Breaker Create(string purpose, Guid tenant, Uri uri)
    {
        Breaker? created = null;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _time }.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = _samplingDuration,
            BreakDuration = _breakDuration,
            // A cancellation counts too: callers cancel on their per-call timeout, the failure this
            // breaker is most for (a shutdown's cancellations counting as well is harmless).
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException or TimeoutException or OperationCanceledException } => true,
                { Result: { } response } => (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests,
                _ => false,
            }),
            OnOpened = args =>
            {
                // Also raised when a half-open probe fails: the gauge counts hosts, not openings.
                if (Interlocked.Exchange(ref created!.IsOpen, 1) == 0)
                {
                    Open.WithLabels(purpose).Inc();
                }

                LogOpened(logger, purpose, uri.Authority, tenant, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                if (Interlocked.Exchange(ref created!.IsOpen, 0) == 1)
                {
                    Open.WithLabels(purpose).Dec();
                }

                LogClosed(logger, purpose, uri.Authority, tenant);
                return ValueTask.CompletedTask;
            },
        }).Build();
        created = new Breaker(pipeline, purpose);
        return created;
    }

    /// <summary>Forgets the breakers of hosts idle long enough that their state no longer matters.</summary>
    private void Sweep(long now)
    {
        var due = Volatile.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + (long)(_sweepEvery.TotalSeconds * _time.TimestampFrequency), due) != due)
        {
            return;
        }

        foreach (var (key, breaker) in _hosts)
        {
            var idle = _time.GetElapsedTime(Volatile.Read(ref breaker.LastUsed), now);
            var open = Volatile.Read(ref breaker.IsOpen) == 1;
            if (idle > (open ? _forgetOpenAfter : _forgetIdleAfter) && _hosts.TryRemove(new KeyValuePair<string, Breaker>(key, breaker)))
            {
                Interlocked.Decrement(ref _count);
                // Cleared here, so a caller still holding the forgotten breaker cannot count its
                // closing a second time.
                if (Interlocked.Exchange(ref breaker.IsOpen, 0) == 1)
                {
                    Open.WithLabels(breaker.Purpose).Dec();
                }
            }
        }

        Hosts.Set(Volatile.Read(ref _count));
    }

    private sealed class Breaker(ResiliencePipeline<HttpResponseMessage> pipeline, string purpose)
    {
        public readonly ResiliencePipeline<HttpResponseMessage> Pipeline = pipeline;
        public readonly string Purpose = purpose;
        public long LastUsed;
        public int IsOpen;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {Purpose} breaker for {Host} of tenant {TenantId} opened for {BreakSeconds} s: its calls there fail at once meanwhile")]
    private static partial void LogOpened(ILogger logger, string purpose, string host, Guid tenantId, double breakSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound {Purpose} breaker for {Host} of tenant {TenantId} closed")]
    private static partial void LogClosed(ILogger logger, string purpose, string host, Guid tenantId);
}
