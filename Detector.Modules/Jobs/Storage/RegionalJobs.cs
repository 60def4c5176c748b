using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>How many jobs the tenant has in this region's database (asked before a region change).</summary>
internal sealed class RegionalJobs(NpgsqlDataSource dataSource) : ITenantRegionalData
{
    public async Task<IReadOnlyDictionary<string, long>> CountAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var jobs = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM jobs.jobs WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: cancellationToken));
        return new Dictionary<string, long> { ["jobs"] = jobs };
    }
}
