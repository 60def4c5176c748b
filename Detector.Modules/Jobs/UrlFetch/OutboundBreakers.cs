using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Prometheus;

namespace Detector.Modules.Jobs.UrlFetch;

/// <summary>
/// A Polly circuit breaker per outbound host (URL fetches and webhook receivers, each their own):
/// when half of the calls to a host in a minute (at least ten) failed with a connection error, a
/// timeout, a 5xx or a 429, calls to it stop for 30 s. A URL item or webhook due meanwhile fails
/// at once as a transient failure and is retried on its own backoff, instead of every job's
/// items and every job's webhook waiting out timeouts against a host that is down. Retries stay
/// where they are (per item and per webhook, with jittered exponential backoff): an outbound GET
/// or POST is retried by re-running the item or the delivery, never inside one call.
/// </summary>
/// <remarks>
/// Hosts come from tenants (image URLs, webhook URLs), so the breakers are not kept forever: once
/// there are more than <c>maxHosts</c>, a sweep (at most every ten seconds) forgets the breakers
/// of hosts not called for longer than the sampling window plus the break, whose state no longer
/// decides anything; an open breaker is kept ten minutes, so a host that is down stays broken for
/// a tenant that waits out the sweep. Between sweeps, new hosts arrive only as fast as calls to
/// them are made.
/// </remarks>
internal sealed partial class OutboundBreakers(ILogger<OutboundBreakers> logger, int minimumThroughput = 10, int maxHosts = 4096, TimeProvider? time = null)
{
    private static readonly TimeSpan SamplingDuration = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ForgetIdleAfter = SamplingDuration + BreakDuration;
    private static readonly TimeSpan ForgetOpenAfter = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Breaker> _hosts = new();
    private long _nextSweep;
    private int _count; // the dictionary's Count takes all its locks: counted here instead

    private static readonly Gauge Open = Metrics.CreateGauge("detector_outbound_breakers_open", "Outbound hosts whose circuit breaker is open, by purpose.", new GaugeConfiguration { LabelNames = ["purpose"] });

    private static readonly Gauge Hosts = Metrics.CreateGauge("detector_outbound_breaker_hosts", "Outbound hosts with a circuit breaker kept on this instance.");

    private static readonly Counter ShortCircuited = Metrics.CreateCounter("detector_outbound_short_circuited_total", "Outbound calls not made because the host's breaker was open, by purpose.", new CounterConfiguration { LabelNames = ["purpose"] });

    /// <summary>Hosts whose breaker is kept now (for tests and the gauge).</summary>
    internal int HostCount => Volatile.Read(ref _count);

    /// <summary>Sends through the breaker of <paramref name="uri"/>'s host; throws <see cref="BrokenCircuitException"/> while it is open.</summary>
    public async Task<HttpResponseMessage> SendAsync(string purpose, Uri uri, Func<CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var now = _time.GetTimestamp();
        // Keyed by purpose and authority: one breaker per host called (a few hundred bytes each).
        var key = $"outbound:{purpose}:{uri.IdnHost}:{uri.Port}";
        if (!_hosts.TryGetValue(key, out var breaker))
        {
            var created = Create(purpose, uri);
            breaker = _hosts.GetOrAdd(key, created);
            if (ReferenceEquals(breaker, created))
            {
                Hosts.Set(Interlocked.Increment(ref _count));
            }
        }

        Volatile.Write(ref breaker.LastUsed, now);
        if (Volatile.Read(ref _count) > maxHosts)
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

    private Breaker Create(string purpose, Uri uri)
    {
        Breaker? created = null;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _time }.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = 0.5,
            MinimumThroughput = minimumThroughput,
            SamplingDuration = SamplingDuration,
            BreakDuration = BreakDuration,
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

                LogOpened(logger, purpose, uri.Authority, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                if (Interlocked.Exchange(ref created!.IsOpen, 0) == 1)
                {
                    Open.WithLabels(purpose).Dec();
                }

                LogClosed(logger, purpose, uri.Authority);
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
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + (long)(SweepEvery.TotalSeconds * _time.TimestampFrequency), due) != due)
        {
            return;
        }

        foreach (var (key, breaker) in _hosts)
        {
            var idle = _time.GetElapsedTime(Volatile.Read(ref breaker.LastUsed), now);
            var open = Volatile.Read(ref breaker.IsOpen) == 1;
            if (idle > (open ? ForgetOpenAfter : ForgetIdleAfter) && _hosts.TryRemove(new KeyValuePair<string, Breaker>(key, breaker)))
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {Purpose} breaker for {Host} opened for {BreakSeconds} s: calls to it fail at once meanwhile")]
    private static partial void LogOpened(ILogger logger, string purpose, string host, double breakSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound {Purpose} breaker for {Host} closed")]
    private static partial void LogClosed(ILogger logger, string purpose, string host);
}
