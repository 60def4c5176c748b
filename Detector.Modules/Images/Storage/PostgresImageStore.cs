using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// The Postgres backend (default): blobs in <c>images.blobs</c> of the service's database, so any
/// instance reads what another stored. Writes send the caller's buffer as the bytea parameter
/// (no copy); reads stream the one column into the one array returned. Every statement finds its
/// row by primary key (tenant, sha256).
/// </summary>
internal sealed class PostgresImageStore(NpgsqlDataSource dataSource) : IImageBackend
{
    private const int PageSize = 1000;

    public string Name => "postgres";

    public async Task<bool> PutAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO images.blobs (tenant_id, sha256, length, content)
            VALUES (@tenant, @sha256, @length, @content)
            ON CONFLICT (tenant_id, sha256) DO NOTHING
            """);
        AddKey(command, key);
        command.Parameters.Add(new NpgsqlParameter<long>("length", NpgsqlDbType.Bigint) { TypedValue = blob.Length });
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("content", NpgsqlDbType.Bytea) { TypedValue = blob });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<byte[]?> GetAsync(ImageKey key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT content FROM images.blobs WHERE tenant_id = @tenant AND sha256 = @sha256");
        AddKey(command, key);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? await reader.GetFieldValueAsync<byte[]>(0, cancellationToken) : null;
    }

    public async Task<bool> DeleteAsync(ImageKey key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM images.blobs WHERE tenant_id = @tenant AND sha256 = @sha256");
        AddKey(command, key);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<bool> ReplaceAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE images.blobs SET content = @content, length = @length WHERE tenant_id = @tenant AND sha256 = @sha256");
        AddKey(command, key);
        command.Parameters.Add(new NpgsqlParameter<long>("length", NpgsqlDbType.Bigint) { TypedValue = blob.Length });
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("content", NpgsqlDbType.Bytea) { TypedValue = blob });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Writes are single statements: an interrupted one leaves nothing.</summary>
    public Task<int> SweepStraysAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => Task.FromResult(0);

    public async Task<long> DeleteTenantAsync(Guid tenant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM images.blobs WHERE tenant_id = @tenant");
        command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", NpgsqlDbType.Uuid) { TypedValue = tenant });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> HasTenantBlobsAsync(Guid tenant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM images.blobs WHERE tenant_id = @tenant)");
        command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", NpgsqlDbType.Uuid) { TypedValue = tenant });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async IAsyncEnumerable<ImageKey> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Keyset pages by primary key: each page is an index range scan, however large the table.
        var after = (Tenant: Guid.Empty, Sha256: "");
        while (true)
        {
            var page = new List<ImageKey>(PageSize);
            await using (var command = dataSource.CreateCommand(
                "SELECT tenant_id, sha256 FROM images.blobs WHERE (tenant_id, sha256) > (@tenant, @sha256) ORDER BY tenant_id, sha256 LIMIT @limit"))
            {
                AddKey(command, new ImageKey(after.Tenant, after.Sha256));
                command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = PageSize });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(new ImageKey(reader.GetGuid(0), reader.GetString(1)));
                }
            }

            foreach (var key in page)
            {
                yield return key;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = (page[^1].Tenant, page[^1].Sha256);
        }
    }

    private static void AddKey(NpgsqlCommand command, ImageKey key)
    {
        command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", NpgsqlDbType.Uuid) { TypedValue = key.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string>("sha256", NpgsqlDbType.Char) { TypedValue = key.Sha256 });
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        // The table, not just the server: a database without the migration cannot store images.
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM (SELECT 1 FROM images.blobs LIMIT 1) AS any_row");
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
