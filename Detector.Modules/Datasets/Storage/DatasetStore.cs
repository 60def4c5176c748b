using Dapper;
using Detector.Modules.Datasets.Canonical;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Datasets.Storage;

/// <summary>A stored version, with how many of its entries were erased and why (reasons comma-separated, ordinal order).</summary>
internal sealed record VersionRow(
    string Id, string Dataset, string? Parent, string Schema, string Classes, string AnnotationsSha256, string ExportSha256,
    int Images, int Train, int Val, int Test, string Source, string CreatedBy, DateTime CreatedAt, int Erased, string? ErasedReasons);

/// <summary>A stored entry; tenant, image and annotations are null once erased.</summary>
internal sealed record EntryRow(int Ordinal, string Split, int Width, int Height, string Ext, Guid? TenantId, string? ImageSha256, string? Annotations, DateTime? ErasedAt, string? ErasedReason)
{
    public DatasetEntry? ToEntry() => TenantId is { } tenant && ImageSha256 is { } sha256 && Annotations is { } boxes
        ? new DatasetEntry(tenant, sha256, Ext, Split, Width, Height, EntryJson.Read(boxes))
        : null;
}

/// <summary>A dataset with its number of versions and latest version.</summary>
internal sealed record DatasetRow(string Name, DateTime CreatedAt, int Versions, string? Latest);

/// <summary>The <c>datasets</c> schema's versions: written once each, read by id or by dataset.</summary>
internal sealed class DatasetStore(NpgsqlDataSource dataSource, IOptions<DatasetsOptions> options)
{
    private const string Columns = """
        v.id, v.dataset, v.parent, v.schema, v.classes::text AS Classes, v.annotations_sha256 AS AnnotationsSha256, v.export_sha256 AS ExportSha256,
        v.images, v.train, v.val, v.test, v.source, v.created_by AS CreatedBy, v.created_at AS CreatedAt,
        (SELECT count(*)::int FROM datasets.entries e WHERE e.version_id = v.id AND e.erased_at IS NOT NULL) AS Erased,
        (SELECT string_agg(DISTINCT e.erased_reason, ',' ORDER BY e.erased_reason) FROM datasets.entries e WHERE e.version_id = v.id AND e.erased_at IS NOT NULL) AS ErasedReasons
        """;

    /// <summary>Stores the version and its entries in one transaction; false when a version with its id exists already (nothing written).</summary>
    public async Task<bool> InsertAsync(string dataset, VersionContent content, string? parent, string source, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO datasets.datasets (name) VALUES (@dataset) ON CONFLICT DO NOTHING", new { dataset }, tx, cancellationToken: ct));
        var counts = content.Counts;
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO datasets.versions (id, dataset, parent, schema, classes, annotations_sha256, export_sha256, images, train, val, test, source, created_by)
            VALUES (@Id, @dataset, @parent, @Schema, @classes::jsonb, @AnnotationsSha256, @ExportSha256, @images, @train, @val, @test, @source, @actor)
            ON CONFLICT (id) DO NOTHING
            """,
            new
            {
                content.Id, dataset, parent, Schema = CanonicalJson.Schema, classes = EntryJson.WriteClasses(content.Classes), content.AnnotationsSha256, content.ExportSha256,
                images = content.Entries.Count, train = counts.Train, val = counts.Val, test = counts.Test, source, actor,
            },
            tx,
            cancellationToken: ct));
        if (inserted == 0)
        {
            return false;
        }

        foreach (var batch in content.Entries.Select((e, i) => (Entry: e, Ordinal: i)).Chunk(options.Value.InsertBatchSize))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO datasets.entries (version_id, ordinal, split, width, height, ext, tenant_id, image_sha256, annotations)
                SELECT @id, o, s, w, h, x, t, i, a::jsonb FROM unnest(@ordinals, @splits, @widths, @heights, @exts, @tenants, @images, @annotations) AS u(o, s, w, h, x, t, i, a)
                """,
                new
                {
                    id = content.Id,
                    ordinals = batch.Select(b => b.Ordinal).ToArray(),
                    splits = batch.Select(b => b.Entry.Split).ToArray(),
                    widths = batch.Select(b => b.Entry.Width).ToArray(),
                    heights = batch.Select(b => b.Entry.Height).ToArray(),
                    exts = batch.Select(b => b.Entry.Ext).ToArray(),
                    tenants = batch.Select(b => b.Entry.TenantId).ToArray(),
                    images = batch.Select(b => b.Entry.Sha256).ToArray(),
                    annotations = batch.Select(b => EntryJson.Write(b.Entry.Boxes)).ToArray(),
                },
                tx,
                cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<VersionRow?> FindAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM datasets.versions v WHERE v.id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<VersionRow>> ListDatasetVersionsAsync(string dataset, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM datasets.versions v WHERE v.dataset = @dataset ORDER BY v.created_at DESC, v.id", new { dataset }, cancellationToken: ct))];
    }

    public async Task<IReadOnlyList<DatasetRow>> ListDatasetsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<DatasetRow>(new CommandDefinition(
            """
            SELECT d.name, d.created_at AS CreatedAt, (SELECT count(*)::int FROM datasets.versions v WHERE v.dataset = d.name) AS Versions,
                   (SELECT v.id FROM datasets.versions v WHERE v.dataset = d.name ORDER BY v.created_at DESC, v.id LIMIT 1) AS Latest
            FROM datasets.datasets d ORDER BY d.name
            """, cancellationToken: ct))];
    }

    public async Task<IReadOnlyList<EntryRow>> EntriesAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<EntryRow>(new CommandDefinition(
            """
            SELECT ordinal, split, width, height, ext, tenant_id AS TenantId, image_sha256 AS ImageSha256, annotations::text AS Annotations,
                   erased_at AS ErasedAt, erased_reason AS ErasedReason
            FROM datasets.entries WHERE version_id = @id ORDER BY ordinal
            """, new { id }, cancellationToken: ct))];
    }
}
