using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Results;

/// <summary>
/// A tenant's compute from its stored results: each result carries the core-milliseconds its
/// detection held (<c>timings.core_ms</c>), so usage needs no second write per request, and a
/// tenant's erase or its results' retention takes its cost history with them.
/// </summary>
internal sealed class UsageCompute(NpgsqlDataSource dataSource) : IUsageComputeSource
{
    public async Task<IReadOnlyList<VersionCompute>> ComputeAsync(Guid tenantId, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<VersionCompute>(new CommandDefinition(
            """
            SELECT model_name AS Model, model_version AS Version, count(*) AS Requests,
                   COALESCE(sum((document -> 'timings' ->> 'core_ms')::float8), 0) / 1000.0 AS CoreSeconds
            FROM results.results
            WHERE tenant_id = @tenantId AND created_at >= @since AND created_at < @until
            GROUP BY model_name, model_version
            ORDER BY model_name, model_version
            """,
            new { tenantId, since, until }, cancellationToken: cancellationToken))];
    }
}
