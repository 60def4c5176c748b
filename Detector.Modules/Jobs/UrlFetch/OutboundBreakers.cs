using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
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
internal sealed partial class OutboundBreakers(ILogger<OutboundBreakers> logger, int minimumThroughput = 10) : IDisposable
{
    // Its own registry: these pipelines are made on demand per host, never configured by name.
    private readonly ResiliencePipelineRegistry<string> _registry = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _open = new();

    private static readonly Gauge Open = Metrics.CreateGauge("detector_outbound_breakers_open", "Outbound hosts whose circuit breaker is open, by purpose.", new GaugeConfiguration { LabelNames = ["purpose"] });

    private static readonly Counter ShortCircuited = Metrics.CreateCounter("detector_outbound_short_circuited_total", "Outbound calls not made because the host's breaker was open, by purpose.", new CounterConfiguration { LabelNames = ["purpose"] });

    /// <summary>Sends through the breaker of <paramref name="uri"/>'s host; throws <see cref="BrokenCircuitException"/> while it is open.</summary>
    public async Task<HttpResponseMessage> SendAsync(string purpose, Uri uri, Func<CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        // Keyed by purpose and authority: one pipeline per host ever called (a few hundred bytes each).
        var key = $"outbound:{purpose}:{uri.IdnHost}:{uri.Port}";
        var pipeline = _registry.GetOrAddPipeline<HttpResponseMessage>(key, builder => builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = 0.5,
            MinimumThroughput = minimumThroughput,
            SamplingDuration = TimeSpan.FromMinutes(1),
            BreakDuration = TimeSpan.FromSeconds(30),
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
                if (_open.TryAdd(key, 0))
                {
                    Open.WithLabels(purpose).Inc();
                }

                LogOpened(logger, purpose, uri.Authority, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = closed =>
            {
                if (_open.TryRemove(key, out _))
                {
                    Open.WithLabels(purpose).Dec();
                }

                LogClosed(logger, purpose, uri.Authority);
                return ValueTask.CompletedTask;
            },
        }));
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

    public void Dispose() => _registry.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbound {Purpose} breaker for {Host} opened for {BreakSeconds} s: calls to it fail at once meanwhile")]
    private static partial void LogOpened(ILogger logger, string purpose, string host, double breakSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound {Purpose} breaker for {Host} closed")]
    private static partial void LogClosed(ILogger logger, string purpose, string host);
}
