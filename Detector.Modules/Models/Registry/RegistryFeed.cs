using Dapper;
using Detector.Modules.Common.Resilience;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Models.Registry;

/// <summary>
/// Keeps the catalog on the registry. At start (before the Inference module loads anything) it
/// registers the seeds the registry lacks and reads the registry, so an instance loads what is
/// promoted now, not what the seeds say. Then it LISTENs on detector_models and re-reads on
/// every notice, and at least every <c>Models:RegistryRefreshSeconds</c> in case one was missed
/// (a dropped connection); a read that changes nothing publishes nothing.
/// </summary>
internal sealed partial class RegistryFeed(
    NpgsqlDataSource dataSource,
    RegistryStore store,
    ArtifactCache artifacts,
    ModelCatalog catalog,
    IOptions<ModelsOptions> options,
    ILogger<RegistryFeed> logger) : BackgroundService, IHealthCheck
{
    private string _published = "";
    private volatile bool _listening;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.SeedAsync(catalog.Seeds, cancellationToken);
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var refresh = TimeSpan.FromSeconds(options.Value.RegistryRefreshSeconds);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await connection.ExecuteAsync(new CommandDefinition($"LISTEN {RegistryStore.Channel}", cancellationToken: stoppingToken));
                _listening = true;
                failures = 0;
                await RefreshAsync(stoppingToken); // what changed before LISTEN took effect
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(refresh, stoppingToken);
                    await RefreshAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                _listening = false;
                var delay = Backoff.Exponential(++failures, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
                LogListenFailed(logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        var models = await store.ReadAsync(ct);
        var fingerprint = string.Join('\n', models.Select(m =>
            m.Name + ':' + string.Join(',', m.Versions.Select(v => $"{v.Version}/{v.State}/{v.Manifest.Sha256}/{v.Manifest.Calibration?.FittedOn}/{v.Manifest.Calibration?.Temperature}")) + ':' + string.Join(',', m.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => FormattableString.Invariant($"{a.Key}={a.Value}/{m.Shares.GetValueOrDefault(a.Key)}")))));
        if (fingerprint == _published)
        {
            return;
        }

        await artifacts.EnsureAsync(models, ct); // what the loads will read is here first
        _published = fingerprint;
        catalog.Publish(models);
        LogPublished(logger, models.Count, catalog.Snapshot.Generation);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_listening ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded("not listening for model registry changes"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Model registry read: {Models} models (generation {Generation})")]
    private static partial void LogPublished(ILogger logger, int models, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for model registry changes failed; retrying in {DelaySeconds} s")]
    private static partial void LogListenFailed(ILogger logger, double delaySeconds, Exception exception);
}
