using System.ComponentModel.DataAnnotations;
using Detector.Modules.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Detector.Web.Infrastructure;

/// <summary>How a stopping instance hands its traffic over.</summary>
internal sealed class ShutdownOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>
    /// After SIGTERM, the instance reports not-ready and keeps serving this long, so the load
    /// balancer takes it out of rotation before it stops accepting connections.
    /// </summary>
    [Range(0, 120)]
    public double DrainDelaySeconds { get; set; } = 5;

    /// <summary>Then, how long requests already accepted (their queued inference included) may take to finish.</summary>
    [Range(1, 600)]
    public double TimeoutSeconds { get; set; } = 30;
}

/// <summary>
/// Graceful shutdown in two steps. On SIGTERM (any stop of the host) readiness turns false at
/// once and every answer carries <c>Connection: close</c>, so clients and the load balancer
/// move to other instances while this one still serves. After the drain delay Kestrel stops
/// accepting connections and waits for the requests it has, whose batches the scheduler still
/// runs; only then do the hosted services stop. Async work needs nothing here: a job item left
/// running is taken over when its lease expires (ADR 0006).
/// </summary>
internal sealed partial class GracefulShutdown(IOptions<ShutdownOptions> options, ILogger<GracefulShutdown> logger) : IHostedLifecycleService, IHealthCheck
{
    private volatile bool _draining;

    public bool Draining => _draining;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var delay = TimeSpan.FromSeconds(options.Value.DrainDelaySeconds);
        LogDraining(logger, delay.TotalSeconds, options.Value.TimeoutSeconds);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_draining ? HealthCheckResult.Unhealthy("shutting down: draining") : HealthCheckResult.Healthy());

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: not ready from now, serving for {DrainSeconds} s more, then up to {TimeoutSeconds} s for requests in flight")]
    private static partial void LogDraining(ILogger logger, double drainSeconds, double timeoutSeconds);
}

internal static class GracefulShutdownExtensions
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddValidatedOptions<ShutdownOptions>(ShutdownOptions.SectionName);
        services.AddSingleton<GracefulShutdown>();
        services.AddHostedService(sp => sp.GetRequiredService<GracefulShutdown>());
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.DrainDelaySeconds + shutdown.Value.TimeoutSeconds));
        services.AddHealthChecks().AddCheck<GracefulShutdown>("draining", tags: ["ready"]);
        return services;
    }

    /// <summary>While draining, every answer asks its client to reconnect (to another instance, through the load balancer).</summary>
    public static WebApplication UseDrainingConnectionClose(this WebApplication app)
    {
        var shutdown = app.Services.GetRequiredService<GracefulShutdown>();
        app.Use((http, next) =>
        {
            if (shutdown.Draining)
            {
                http.Response.Headers.Connection = "close";
            }

            return next(http);
        });
        return app;
    }
}
