using Dapper;
using Detector.Modules.Common.Database;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Detector.Web.Infrastructure;

internal sealed class DatabaseHealthCheck(
    NpgsqlDataSource dataSource,
    [FromKeyedServices(DatabaseExtensions.Directory)] NpgsqlDataSource directory,
    MigrationRunner migrations) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // A replica that does not migrate waits here for the migration job (deploy/k8s).
            if (!migrations.Applied && !await migrations.IsCurrentAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("migrations not applied");
            }

            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            if (!ReferenceEquals(directory, dataSource))
            {
                // Without the tenant directory no key can be checked.
                await using var shared = await directory.OpenConnectionAsync(cancellationToken);
                await shared.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("database unreachable: " + ex.Message);
        }
    }
}

internal sealed class ModelsHealthCheck(IInferenceReadiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (readiness.WhenReady.IsFaulted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("model loading failed: " + readiness.WhenReady.Exception?.GetBaseException().Message));
        }

        if (!readiness.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("models loading"));
        }

        // A model whose every executor is being recreated serves nothing: this instance is out of
        // the balancer until one is back. Some executors recovering: still serving, degraded.
        var executors = readiness.Executors;
        var down = executors.Where(e => e.Recovering >= e.Executors).Select(e => e.Model).ToList();
        if (down.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("inference executors recovering, model not serving: " + string.Join(", ", down)));
        }

        var recovering = executors.Where(e => e.Recovering > 0).Select(e => $"{e.Model} ({e.Recovering} of {e.Executors})").ToList();
        return Task.FromResult(recovering.Count > 0
            ? HealthCheckResult.Degraded("inference executors recovering: " + string.Join(", ", recovering))
            : HealthCheckResult.Healthy("provider " + readiness.Provider));
    }
}
