using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// The Postgres backend (default): images in <c>images.blobs</c> of the service's database, so any
/// instance reads what another stored. Writes send the caller's buffer as the bytea parameter
/// (no copy); reads stream the one column into the one array returned. Every statement finds its
/// row by primary key.
/// </summary>
internal sealed class PostgresImageStore(NpgsqlDataSource dataSource) : IImageBackend
{
    private const int PageSize = 1000;

    public string Name => "postgres";

    public async Task PutAsync(string sha256, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        ContentAddress.Validate(sha256);
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO images.blobs (sha256, length, content)
            VALUES (@sha256, @length, @content)
            ON CONFLICT (sha256) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("sha256", NpgsqlDbType.Char) { TypedValue = sha256 });
        command.Parameters.Add(new NpgsqlParameter<long>("length", NpgsqlDbType.Bigint) { TypedValue = image.Length });
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("content", NpgsqlDbType.Bytea) { TypedValue = image });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        ContentAddress.Validate(sha256);
        await using var command = dataSource.CreateCommand("SELECT content FROM images.blobs WHERE sha256 = @sha256");
        command.Parameters.Add(new NpgsqlParameter<string>("sha256", NpgsqlDbType.Char) { TypedValue = sha256 });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? await reader.GetFieldValueAsync<byte[]>(0, cancellationToken) : null;
    }

    public async IAsyncEnumerable<string> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Keyset pages by primary key: each page is an index range scan, however large the table.
        var after = "";
        while (true)
        {
            var page = new List<string>(PageSize);
            await using (var command = dataSource.CreateCommand("SELECT sha256 FROM images.blobs WHERE sha256 > @after ORDER BY sha256 LIMIT @limit"))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("after", NpgsqlDbType.Char) { TypedValue = after });
                command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = PageSize });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(reader.GetString(0));
                }
            }

            foreach (var address in page)
            {
                yield return address;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1];
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        // The table, not just the server: a database without the migration cannot store images.
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM (SELECT 1 FROM images.blobs LIMIT 1) AS any_row");
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
