using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Results;

/// <summary>How many results the tenant has in this region's database (asked before a region change).</summary>
internal sealed class RegionalResults(NpgsqlDataSource dataSource) : ITenantRegionalData
{
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var results = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM results.results WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: cancellationToken));
        return new Dictionary<string, long> { ["results"] = results };
    }
}
