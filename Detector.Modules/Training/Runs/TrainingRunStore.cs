using System.Text.Json;
using Dapper;
using Npgsql;

namespace Detector.Modules.Training.Runs;

/// <summary>A stored run: its record (and the canonical text its hash is over), who recorded it and when.</summary>
internal sealed record TrainingRunRow(
    Guid Id, string Model, string Version, string ArtifactSha256, string DatasetVersion, string ExportSha256, string Config, long Seed,
    string CodeVersion, string ImageDigest, string Metrics, string Record, string RecordSha256, string RecordedBy, DateTime RecordedAt);

/// <summary>The <c>training</c> schema: training runs, append only (db/0023).</summary>
internal sealed class TrainingRunStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, model, version, artifact_sha256 AS ArtifactSha256, dataset_version AS DatasetVersion, export_sha256 AS ExportSha256,
        config::text AS Config, seed, code_version AS CodeVersion, image_digest AS ImageDigest, metrics::text AS Metrics,
        record, record_sha256 AS RecordSha256, recorded_by AS RecordedBy, recorded_at AS RecordedAt
        """;

    /// <summary>Stores the run unless a run with the same record is stored; answers the stored one and whether it is new.</summary>
    public async Task<(TrainingRunRow Row, bool Created)> InsertAsync(TrainingRunRecord record, string actor, CancellationToken ct)
    {
        var canonical = record.Canonical;
        var parameters = new
        {
            id = Guid.CreateVersion7(),
            record.Model,
            record.Version,
            record.ArtifactSha256,
            record.DatasetVersion,
            record.ExportSha256,
            config = record.Config.GetRawText(),
            record.Seed,
            record.CodeVersion,
            record.ImageDigest,
            metrics = record.Metrics.GetRawText(),
            canonical,
            sha256 = CanonicalJson.Sha256(canonical),
            actor,
        };
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO training.runs (id, model, version, artifact_sha256, dataset_version, export_sha256, config, seed, code_version, image_digest, metrics, record, record_sha256, recorded_by)
            VALUES (@id, @Model, @Version, @ArtifactSha256, @DatasetVersion, @ExportSha256, @config::jsonb, @Seed, @CodeVersion, @ImageDigest, @metrics::jsonb, @canonical, @sha256, @actor)
            ON CONFLICT (record_sha256) DO NOTHING
            """, parameters, cancellationToken: ct));
        var row = await connection.QuerySingleAsync<TrainingRunRow>(new CommandDefinition(
            $"SELECT {Columns} FROM training.runs WHERE record_sha256 = @sha256", new { parameters.sha256 }, cancellationToken: ct));
        return (row, inserted == 1);
    }

    public async Task<TrainingRunRow?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TrainingRunRow>(new CommandDefinition(
            $"SELECT {Columns} FROM training.runs WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>Runs, newest first, of a model (and version) when named.</summary>
    public async Task<IReadOnlyList<TrainingRunRow>> ListAsync(string? model, string? version, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<TrainingRunRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM training.runs
            WHERE (@model::text IS NULL OR model = @model) AND (@version::text IS NULL OR version = @version)
            ORDER BY recorded_at DESC, id DESC LIMIT @limit
            """, new { model, version, limit }, cancellationToken: ct))];
    }
}

/// <summary>A run as the API shows it: the record, its canonical text and hash, who recorded it and when.</summary>
internal sealed record TrainingRunView(
    Guid Id, string Model, string Version, string ArtifactSha256, string DatasetVersion, string ExportSha256, JsonElement Config, long Seed,
    string CodeVersion, string ImageDigest, JsonElement Metrics, string Record, string RecordSha256, string RecordedBy, DateTimeOffset RecordedAt)
{
    public static TrainingRunView Of(TrainingRunRow row) => new(
        row.Id, row.Model, row.Version, row.ArtifactSha256, row.DatasetVersion, row.ExportSha256, Parse(row.Config), row.Seed, row.CodeVersion, row.ImageDigest,
        Parse(row.Metrics), row.Record, row.RecordSha256, row.RecordedBy, new DateTimeOffset(DateTime.SpecifyKind(row.RecordedAt, DateTimeKind.Utc)));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
