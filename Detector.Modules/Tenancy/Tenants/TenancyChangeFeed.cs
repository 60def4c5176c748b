using Detector.Modules.Common.Database;
using Detector.Modules.Common.Resilience;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>
/// LISTEN detector_tenancy on a dedicated connection: a committed change to a tenant (a revoked
/// or rotated key, disabling, a new plan) drops that tenant's cache entries on this instance
/// within moments. If the connection breaks, everything cached is dropped (a notification may
/// have been missed) and the listener reconnects; readiness reports it meanwhile.
/// </summary>
internal sealed partial class TenancyChangeFeed(
    [FromKeyedServices(DatabaseExtensions.Directory)] NpgsqlDataSource dataSource,
    TenancyCache cache,
    TenantStore store,
    TenantMetricIds metricIds,
    ILogger<TenancyChangeFeed> logger) : BackgroundService, IHealthCheck
{
    private volatile bool _listening;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await connection.ExecuteAsync(new CommandDefinition($"LISTEN {TenancyNotifier.Channel}", cancellationToken: stoppingToken));
                // Changes committed before LISTEN took effect were not heard: start from nothing cached.
                cache.InvalidateAll();
                _listening = true;
                failures = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                _listening = false;
                cache.InvalidateAll();
                var delay = Backoff.Exponential(++failures, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
                LogListenFailed(logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (Guid.TryParse(e.Payload, out var tenantId))
        {
            cache.Invalidate(tenantId);
            _ = ForgetSeriesIfErasedAsync(tenantId);
        }
    }

    /// <summary>An erased tenant's series leave this instance's /metrics too (off the notification thread; never throws).</summary>
    private async Task ForgetSeriesIfErasedAsync(Guid tenantId)
    {
        try
        {
            if (await store.GetAsync(tenantId, CancellationToken.None) is null)
            {
                TenancyMetrics.Forget(metricIds.For(tenantId));
            }
        }
        catch (Exception ex)
        {
            LogForgetFailed(logger, tenantId, ex);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_listening ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not listening for tenancy changes"));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking whether tenant {TenantId} was erased (to drop its metric series) failed")]
    private static partial void LogForgetFailed(ILogger logger, Guid tenantId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for tenancy changes failed; caches dropped, retrying in {DelaySeconds} s")]
    private static partial void LogListenFailed(ILogger logger, double delaySeconds, Exception exception);
}
