using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Prometheus;

namespace Detector.Modules.Common.Database;

/// <summary>
/// A Polly circuit breaker around every API request (<c>/v1</c>), fed by the database failures
/// those requests meet. While PostgreSQL is down almost every request needs it (the key check,
/// quotas, results), so once half of them fail the breaker opens and answers 503
/// <c>database_unavailable</c> with Retry-After at once: no connection attempt, no body read, no
/// pool timeout. After the break the database itself is probed (<c>SELECT 1</c>, in place of
/// the request that found the break over): whichever request comes first may need no database
/// at all (its key cached, a model list), and its success must not close the breaker on a
/// database still down.
/// </summary>
public static partial class DatabaseBreaker
{
    public const string PipelineName = "database";

    private static readonly Gauge State = Metrics.CreateGauge("detector_database_breaker_open", "1 while the API's database circuit breaker is open (or probing), 0 when closed.");

    /// <summary>How long the probe after a break may take: the one request probing waits this long at most.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Marks the probe's execution, the one outcome allowed to close the breaker.</summary>
    private static readonly ResiliencePropertyKey<bool> IsProbe = new("detector.database_probe");

    private static readonly Counter ShortCircuited = Metrics.CreateCounter("detector_database_breaker_rejections_total", "API requests answered 503 database_unavailable by the open breaker.");

    internal static IServiceCollection AddDatabaseBreaker(this IServiceCollection services) =>
        services.AddSingleton<BreakerState>().AddResiliencePipeline(PipelineName, (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseBreaker));
            var state = context.ServiceProvider.GetRequiredService<BreakerState>().Provider;
            pipeline.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                StateProvider = state,
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = TimeSpan.FromSeconds(options.BreakerSamplingSeconds),
                BreakDuration = TimeSpan.FromSeconds(options.BreakerBreakSeconds),
                ShouldHandle = args => ValueTask.FromResult(IsFailure(args.Outcome.Exception, args.Context.Properties.GetValue(IsProbe, false), state.CircuitState)),
                OnOpened = args =>
                {
                    State.Set(1);
                    LogOpened(logger, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.GetBaseException().Message ?? "");
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    State.Set(0);
                    LogClosed(logger);
                    return ValueTask.CompletedTask;
                },
            });
        });

    /// <summary>Answers API requests through the breaker; place it inside the exception handler and before authentication.</summary>
    public static IApplicationBuilder UseDatabaseBreaker(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var pipeline = services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline(PipelineName);
        var state = services.GetRequiredService<BreakerState>().Provider;
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var retryAfter = services.GetRequiredService<IOptions<DatabaseOptions>>().Value.BreakerBreakSeconds;
        return app.Use(async (http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
            {
                await next(http);
                return;
            }

            try
            {
                if (state.CircuitState != CircuitState.Closed)
                {
                    // Open: refused here at once. Past the break: this request's turn to probe,
                    // with the database's own answer instead of its own.
                    await ProbeAsync(pipeline, dataSource);
                }

                await pipeline.ExecuteAsync(static async (state, _) => await state.next(state.http), (next, http), http.RequestAborted);
            }
            catch (Exception ex) when (ex is BrokenCircuitException or ProbeFailedException)
            {
                ShortCircuited.Inc();
                throw new DomainException(OutcomeKind.Unavailable, ErrorCodes.DatabaseUnavailable, "Database unavailable", "The service cannot reach its database; retry shortly.", ex) { RetryAfterSeconds = retryAfter };
            }
        });
    }

    /// <summary>
    /// What counts against the database. Closed: outages only. Once the breaker has opened, only
    /// the probe may close it: Polly counts every outcome its predicate does not handle as a
    /// success, and a request that began before the break and ends during the probe (its client
    /// gone, a 4xx, an answer from the cache) would otherwise close it on a database still down;
    /// such an outcome counts as a failure instead, which at worst keeps the breaker open one
    /// break longer. The probe fails on any exception.
    /// </summary>
    private static bool IsFailure(Exception? exception, bool isProbe, CircuitState state) =>
        isProbe ? exception is not null : (exception is { } ex && IsOutage(ex)) || state != CircuitState.Closed;

    /// <summary>
    /// One <c>SELECT 1</c> through the breaker, bounded by <see cref="ProbeTimeout"/> and never by
    /// the client (a probe cancelled because its client left would count as a success).
    /// </summary>
    private static async Task ProbeAsync(ResiliencePipeline pipeline, NpgsqlDataSource dataSource)
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        context.Properties.Set(IsProbe, true);
        try
        {
            await pipeline.ExecuteAsync(static async (_, source) =>
            {
                using var timeout = new CancellationTokenSource(ProbeTimeout);
                try
                {
                    await using var command = source.CreateCommand("SELECT 1");
                    await command.ExecuteScalarAsync(timeout.Token);
                }
                catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
                {
                    throw new TimeoutException($"The database did not answer a probe within {ProbeTimeout.TotalSeconds} s.", ex);
                }
            }, context, dataSource);
        }
        catch (Exception ex) when (ex is not BrokenCircuitException)
        {
            // Whatever stopped the probe (an outage, or the data source disposed at shutdown), the
            // request is refused like every other while the breaker is open, never a 500.
            throw new ProbeFailedException(ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The breaker's state, shared by the pipeline and the middleware that probes on its behalf.</summary>
    internal sealed class BreakerState
    {
        public CircuitBreakerStateProvider Provider { get; } = new();
    }

    private sealed class ProbeFailedException(Exception inner) : Exception("The database probe after the break failed.", inner);

    /// <summary>
    /// A failure to reach the database, not a query the database refused: connection errors,
    /// timeouts, and Npgsql's transient class (server shutting down or starting up); also a
    /// module's storage_unavailable problem wrapping one.
    /// </summary>
    public static bool IsOutage(Exception ex) => ex switch
    {
        PostgresException { SqlState: "53100" } => false, // disk full: the database answers (507), and refusing DELETEs would keep it full
        PostgresException pg => pg.IsTransient,
        NpgsqlException => true,
        TimeoutException or SocketException => true,
        DomainException { InnerException: { } inner } => IsOutage(inner),
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Database breaker opened for {BreakSeconds} s: API requests get 503 database_unavailable ({Reason})")]
    private static partial void LogOpened(ILogger logger, double breakSeconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database breaker closed: the database answers again")]
    private static partial void LogClosed(ILogger logger);
}
