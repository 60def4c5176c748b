using Dapper;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>A box in image pixels, x and y its top-left corner.</summary>
internal sealed record PixelBox(double X, double Y, double Width, double Height);

/// <summary>One piece of feedback as stored and served.</summary>
internal sealed record FeedbackView(
    Guid Id, Guid ResultId, string Kind, int? DetectionIndex, PixelBox? Box, string? Label, string? Note,
    string Model, string ModelVersion, string? ImageSha256, bool Queued, DateTimeOffset CreatedAt);

/// <summary>Queued feedback the sampler has not looked at yet: which result of which tenant.</summary>
internal sealed record UnsampledFeedback(Guid Id, Guid TenantId, Guid ResultId);

/// <summary><c>labeling.feedback</c>.</summary>
internal sealed class FeedbackStore(NpgsqlDataSource dataSource)
{
    private sealed record Row(Guid Id, Guid ResultId, string Kind, int? DetectionIndex, string? Box, string? Label, string? Note, string ModelName, string ModelVersion, string? ImageSha256, bool Queued, DateTime CreatedAt);

    public async Task AddAsync(Guid tenantId, FeedbackView f, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.feedback (id, tenant_id, result_id, kind, detection_index, box, label, note, model_name, model_version, image_sha256, queued, created_at)
            VALUES (@Id, @tenantId, @ResultId, @Kind, @DetectionIndex, @Box::jsonb, @Label, @Note, @Model, @ModelVersion, @ImageSha256, @Queued, @CreatedAt)
            """,
            new { f.Id, tenantId, f.ResultId, f.Kind, f.DetectionIndex, Box = f.Box is null ? null : LabelingJson.Write(f.Box), f.Label, f.Note, f.Model, f.ModelVersion, f.ImageSha256, f.Queued, f.CreatedAt },
            cancellationToken: ct));
    }

    public async Task<IReadOnlyList<FeedbackView>> ListAsync(Guid tenantId, Guid resultId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT id, result_id AS ResultId, kind, detection_index AS DetectionIndex, box::text AS Box, label, note,
                   model_name AS ModelName, model_version AS ModelVersion, image_sha256 AS ImageSha256, queued, created_at AS CreatedAt
            FROM labeling.feedback WHERE tenant_id = @tenantId AND result_id = @resultId ORDER BY created_at, id
            """, new { tenantId, resultId }, cancellationToken: ct));
        return [.. rows.Select(r => new FeedbackView(
            r.Id, r.ResultId, r.Kind, r.DetectionIndex, r.Box is null ? null : LabelingJson.Read<PixelBox>(r.Box), r.Label, r.Note,
            r.ModelName, r.ModelVersion, r.ImageSha256?.Trim(), r.Queued, new DateTimeOffset(r.CreatedAt, TimeSpan.Zero)))];
    }

    /// <summary>Queued feedback the sampler has not looked at, oldest first.</summary>
    public async Task<IReadOnlyList<UnsampledFeedback>> UnsampledAsync(int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<UnsampledFeedback>(new CommandDefinition(
            """
            SELECT id, tenant_id AS TenantId, result_id AS ResultId FROM labeling.feedback
            WHERE queued AND NOT sampled ORDER BY created_at, id LIMIT @limit
            """, new { limit }, cancellationToken: ct))).AsList();
    }

    public static Task MarkSampledAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<Guid> ids, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE labeling.feedback SET sampled = true WHERE id = ANY(@ids)", new { ids = ids.ToArray() }, transaction, cancellationToken: ct));
}
