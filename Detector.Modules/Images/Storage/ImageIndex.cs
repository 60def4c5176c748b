using Dapper;
using Npgsql;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// <c>images.stored</c>: which (tenant, sha256) the store holds, for every backend, and when a put
/// last touched each. A put writes its row before the blob and a delete removes it after the
/// blob, so the index covers the store (a row without a blob is harmless; the sweep drops it).
/// Rows are written only while the tenant has a live data key: that is how a put learns, on any
/// instance and without a cache in between, that its tenant was erased meanwhile.
/// </summary>
internal sealed class ImageIndex(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Records a put of the key at <paramref name="now"/> (the row's lock orders it against an
    /// orphan delete of the same key); false, writing nothing, when the tenant has no data key.
    /// </summary>
    public async Task<bool> TouchAsync(ImageKey key, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO images.stored (tenant_id, sha256, touched_at)
            SELECT @tenant, @sha256, @now
            WHERE EXISTS (SELECT 1 FROM images.tenant_keys WHERE tenant_id = @tenant AND wrapped_key IS NOT NULL)
            ON CONFLICT (tenant_id, sha256) DO UPDATE SET touched_at = greatest(images.stored.touched_at, excluded.touched_at)
            """,
            new { tenant = key.Tenant, sha256 = key.Sha256, now },
            cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// After a blob was written: whether its tenant still has a data key (false: erased meanwhile,
    /// the caller removes what it wrote); re-adds the row if a delete of the same key removed it.
    /// </summary>
    public async Task<bool> ConfirmAsync(ImageKey key, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            WITH live AS (SELECT 1 FROM images.tenant_keys WHERE tenant_id = @tenant AND wrapped_key IS NOT NULL),
                 indexed AS (
                     INSERT INTO images.stored (tenant_id, sha256, touched_at)
                     SELECT @tenant, @sha256, @now FROM live
                     ON CONFLICT (tenant_id, sha256) DO NOTHING)
            SELECT EXISTS (SELECT 1 FROM live)
            """,
            new { tenant = key.Tenant, sha256 = key.Sha256, now },
            cancellationToken: ct));
    }

    /// <summary>Adds the key if it is missing (indexing what a backend held before the index existed); true when added.</summary>
    public async Task<bool> AddAsync(ImageKey key, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO images.stored (tenant_id, sha256, touched_at) VALUES (@tenant, @sha256, @now) ON CONFLICT DO NOTHING",
            new { tenant = key.Tenant, sha256 = key.Sha256, now },
            cancellationToken: ct)) == 1;
    }

    public async Task RemoveAsync(ImageKey key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM images.stored WHERE tenant_id = @tenant AND sha256 = @sha256::char(64)",
            new { tenant = key.Tenant, sha256 = key.Sha256 },
            cancellationToken: ct));
    }

    public async Task<long> RemoveTenantAsync(Guid tenant, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM images.stored WHERE tenant_id = @tenant", new { tenant }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition("SELECT DISTINCT tenant_id FROM images.stored", cancellationToken: ct))).AsList();
    }
}
