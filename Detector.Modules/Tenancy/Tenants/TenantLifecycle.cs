using Detector.Modules.Common.Database;
using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>Listing, disabling and erasing tenants for the Compliance module.</summary>
/// <remarks>
/// The tenant, its plan and keys live in the directory; its usage, rate bucket and idempotency
/// records in this region's database (the same one unless the service runs in several regions).
/// </remarks>
internal sealed class TenantLifecycle(
    NpgsqlDataSource dataSource,
    [FromKeyedServices(DatabaseExtensions.Directory)] NpgsqlDataSource directory,
    TenantStore store,
    Plans plans,
    TenantMetricIds metricIds) : ITenantLifecycle
{
    public async Task<IReadOnlyList<TenantInfo>> ListAsync(Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await directory.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM tenancy.tenants WHERE @after IS NULL OR id > @after ORDER BY id LIMIT @limit",
            new { after, limit }, cancellationToken: cancellationToken));
        var tenants = new List<TenantInfo>();
        foreach (var id in ids)
        {
            if (await store.GetAsync(id, cancellationToken) is { } t)
            {
                tenants.Add(new TenantInfo(t.Tenant.Id, t.Tenant.Name, t.Tenant.DisabledAt is not null, t.Plan ?? plans.Default));
            }
        }

        return tenants;
    }

    public async Task<IReadOnlyList<Guid>> RegionalTenantIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT tenant_id FROM tenancy.usage UNION SELECT tenant_id FROM tenancy.idempotency UNION SELECT tenant_id FROM tenancy.rate_buckets",
            cancellationToken: cancellationToken))).AsList();
    }

    public Task<bool> DisableAsync(Guid tenantId, CancellationToken cancellationToken) => store.SetDisabledAsync(tenantId, true, cancellationToken);

    public async Task<TenancyErasure> EraseAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        TenancyErasure erasure;
        await using (var regional = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            erasure = await regional.QuerySingleAsync<TenancyErasure>(new CommandDefinition(
                """
                WITH idem AS (DELETE FROM tenancy.idempotency WHERE tenant_id = @tenantId RETURNING 1),
                     usage AS (DELETE FROM tenancy.usage WHERE tenant_id = @tenantId RETURNING 1),
                     buckets AS (DELETE FROM tenancy.rate_buckets WHERE tenant_id = @tenantId RETURNING 1)
                SELECT 0::bigint AS Tenants, 0::bigint AS Plans, 0::bigint AS ApiKeys,
                       (SELECT count(*) FROM usage) AS Usage, (SELECT count(*) FROM buckets) AS RateBuckets,
                       (SELECT count(*) FROM idem) AS IdempotencyRecords
                """, new { tenantId }, cancellationToken: cancellationToken));
        }

        // The directory last: until the tenant row goes, a retried erase still finds the tenant.
        await using var connection = await directory.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.QuerySingleAsync<(long Keys, long Plans, long Tenants)>(new CommandDefinition(
            """
            WITH keys AS (DELETE FROM tenancy.api_keys WHERE tenant_id = @tenantId RETURNING 1),
                 plans AS (DELETE FROM tenancy.plans WHERE tenant_id = @tenantId RETURNING 1),
                 tenants AS (DELETE FROM tenancy.tenants WHERE id = @tenantId RETURNING 1)
            SELECT (SELECT count(*) FROM keys), (SELECT count(*) FROM plans), (SELECT count(*) FROM tenants)
            """, new { tenantId }, tx, cancellationToken: cancellationToken));
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        // Here at once; other instances drop theirs when the notification reaches them (TenancyChangeFeed).
        TenancyMetrics.Forget(metricIds.For(tenantId));
        return erasure with { Tenants = removed.Tenants, Plans = removed.Plans, ApiKeys = removed.Keys };
    }
}
