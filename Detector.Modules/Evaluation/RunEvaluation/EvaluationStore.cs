using Dapper;
using Npgsql;

namespace Detector.Modules.Evaluation.RunEvaluation;

internal static class EvaluationStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>
/// An evaluation: its data is a COCO folder (<see cref="Annotations"/> and <see cref="Images"/>
/// under the dataset root) or a dataset version (<see cref="DatasetVersion"/> and its
/// <see cref="Split"/>); <see cref="AnnotationsSha256"/> is what the run scored against, by content.
/// </summary>
internal sealed record EvaluationRow(
    Guid Id, string Model, string ModelName, string Version, string Sha256, string? Annotations, string? Images, string State,
    int ImagesTotal, int ImagesDone, int Runs, string? Report, string? Error, string RequestedBy,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, // timestamptz, read by Npgsql as UTC DateTime
    string? DatasetVersion = null, string? Split = null, string? AnnotationsSha256 = null)
{
    /// <summary>The data as a person reads it: the annotations file, or the dataset version and split.</summary>
    public string DatasetLabel => DatasetVersion is null ? Annotations! : $"dataset-version:{DatasetVersion}/{Split}";

    /// <summary>Two evaluations scored the same data when this is equal.</summary>
    public string DatasetKey => DatasetVersion is null ? $"folder:{Annotations}|{Images}" : $"version:{DatasetVersion}/{Split}";
}

/// <param name="Detections">[[category_id, x, y, w, h, score], ...] as the runner stored them.</param>
internal sealed record ImageRow(long ImageId, string Detections, double LatencyMs, double CoreMs)
{
    /// <summary>Every row's detections, in the rows' order (image order as read).</summary>
    public static List<Coco.CocoDetection> AllDetections(IEnumerable<ImageRow> rows) =>
        [.. rows.SelectMany(r => System.Text.Json.JsonSerializer.Deserialize<double[][]>(r.Detections)!
            .Select(d => new Coco.CocoDetection(r.ImageId, (int)d[0], new Coco.CocoBox(d[1], d[2], d[3], d[4]), d[5])))];
}

/// <summary>The <c>evaluation</c> schema: evaluations and each scored image's detections.</summary>
internal sealed class EvaluationStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, model, model_name AS ModelName, version, sha256, annotations, images, state, images_total AS ImagesTotal,
        images_done AS ImagesDone, runs, report::text AS Report, error, requested_by AS RequestedBy,
        created_at AS CreatedAt, started_at AS StartedAt, finished_at AS FinishedAt,
        dataset_version AS DatasetVersion, split, annotations_sha256 AS AnnotationsSha256
        """;

    public async Task InsertAsync(EvaluationRow row, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO evaluation.evaluations (id, model, model_name, version, sha256, annotations, images, dataset_version, split, state, requested_by)
            VALUES (@Id, @Model, @ModelName, @Version, @Sha256, @Annotations, @Images, @DatasetVersion, @Split, @State, @RequestedBy)
            """, row, cancellationToken: ct));
    }

    public async Task<EvaluationRow?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<EvaluationRow>(new CommandDefinition(
            $"SELECT {Columns} FROM evaluation.evaluations WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<EvaluationRow>> ListAsync(int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<EvaluationRow>(new CommandDefinition(
            $"SELECT {Columns} FROM evaluation.evaluations ORDER BY created_at DESC, id DESC LIMIT @limit", new { limit }, cancellationToken: ct))];
    }

    /// <summary>
    /// Marks a run started (again, after a crash: runs counts them) with the sha256 of the
    /// annotations it scores against, and answers the images already scored.
    /// </summary>
    public async Task<HashSet<long>> BeginRunAsync(Guid id, int total, string annotationsSha256, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE evaluation.evaluations SET state = 'running', runs = runs + 1, images_total = @total,
                started_at = COALESCE(started_at, now()), annotations_sha256 = @annotationsSha256
            WHERE id = @id AND state IN ('queued', 'running')
            """, new { id, total, annotationsSha256 }, cancellationToken: ct));
        return [.. await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT image_id FROM evaluation.evaluation_images WHERE evaluation_id = @id", new { id }, cancellationToken: ct))];
    }

    public async Task AddImageAsync(Guid id, long imageId, string detections, double latencyMs, double coreMs, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            WITH added AS (
                INSERT INTO evaluation.evaluation_images (evaluation_id, image_id, detections, latency_ms, core_ms)
                VALUES (@id, @imageId, @detections::jsonb, @latencyMs, @coreMs)
                ON CONFLICT DO NOTHING RETURNING 1)
            UPDATE evaluation.evaluations SET images_done = images_done + (SELECT count(*) FROM added) WHERE id = @id
            """, new { id, imageId, detections, latencyMs, coreMs }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ImageRow>> ReadImagesAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<ImageRow>(new CommandDefinition(
            "SELECT image_id AS ImageId, detections::text AS Detections, latency_ms AS LatencyMs, core_ms AS CoreMs FROM evaluation.evaluation_images WHERE evaluation_id = @id ORDER BY image_id",
            new { id }, cancellationToken: ct))];
    }

    public async Task FinishAsync(Guid id, string state, string? report, string? error, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE evaluation.evaluations SET state = @state, report = @report::jsonb, error = @error, finished_at = now()
            WHERE id = @id AND state IN ('queued', 'running')
            """, new { id, state, report, error }, cancellationToken: ct));
    }
}
