using Dapper;
using Npgsql;

namespace Detector.Modules.Tenancy;

internal sealed record TenantRow(Guid Id, string Name, DateTime CreatedAt);

internal sealed class TenantStore(NpgsqlDataSource dataSource)
{
    public async Task<(TenantRow Tenant, string ApiKey)> CreateAsync(string name, CancellationToken ct)
    {
        var tenantId = Guid.CreateVersion7();
        var key = ApiKeys.Generate();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenant = await connection.QuerySingleAsync<TenantRow>(new CommandDefinition(
            """
            INSERT INTO tenancy.tenants (id, name) VALUES (@id, @name)
            RETURNING id, name, created_at AS CreatedAt
            """, new { id = tenantId, name }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO tenancy.api_keys (id, tenant_id, prefix, key_hash) VALUES (@id, @tenantId, @prefix, @hash)
            """, new { id = Guid.CreateVersion7(), tenantId, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key) }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (tenant, key);
    }

    public async Task<IReadOnlyList<TenantRow>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<TenantRow>(new CommandDefinition(
            """
            SELECT id, name, created_at AS CreatedAt FROM tenancy.tenants
            WHERE disabled_at IS NULL ORDER BY created_at DESC LIMIT 1000
            """, cancellationToken: ct));
        return [.. rows];
    }

    /// <summary>The tenant owning an active key, or null.</summary>
    public async Task<Guid?> FindTenantByKeyAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            """
            SELECT k.tenant_id FROM tenancy.api_keys k
            JOIN tenancy.tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = @hash AND k.revoked_at IS NULL AND t.disabled_at IS NULL
            """, new { hash = ApiKeys.Hash(key) }, cancellationToken: ct));
    }
}
