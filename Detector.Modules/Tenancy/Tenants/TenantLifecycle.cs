using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>Listing, disabling and erasing tenants for the Compliance module.</summary>
internal sealed class TenantLifecycle(NpgsqlDataSource dataSource, TenantStore store, Plans plans) : ITenantLifecycle
{
    public async Task<IReadOnlyList<TenantInfo>> ListAsync(Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
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

    public Task<bool> DisableAsync(Guid tenantId, CancellationToken cancellationToken) => store.SetDisabledAsync(tenantId, true, cancellationToken);

    public async Task<TenancyErasure> EraseAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var erasure = await connection.QuerySingleAsync<TenancyErasure>(new CommandDefinition(
            """
            WITH idem AS (DELETE FROM tenancy.idempotency WHERE tenant_id = @tenantId RETURNING 1),
                 usage AS (DELETE FROM tenancy.usage WHERE tenant_id = @tenantId RETURNING 1),
                 buckets AS (DELETE FROM tenancy.rate_buckets WHERE tenant_id = @tenantId RETURNING 1),
                 keys AS (DELETE FROM tenancy.api_keys WHERE tenant_id = @tenantId RETURNING 1),
                 plans AS (DELETE FROM tenancy.plans WHERE tenant_id = @tenantId RETURNING 1)
            SELECT 0::bigint AS Tenants, (SELECT count(*) FROM plans) AS Plans, (SELECT count(*) FROM keys) AS ApiKeys,
                   (SELECT count(*) FROM usage) AS Usage, (SELECT count(*) FROM buckets) AS RateBuckets,
                   (SELECT count(*) FROM idem) AS IdempotencyRecords
            """, new { tenantId }, tx, cancellationToken: cancellationToken));
        var tenants = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM tenancy.tenants WHERE id = @tenantId", new { tenantId }, tx, cancellationToken: cancellationToken));
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return erasure with { Tenants = tenants };
    }
}
