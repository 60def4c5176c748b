using Dapper;
using Detector.Modules.Evaluation.Contracts;
using Npgsql;

namespace Detector.Modules.Evaluation.History;

/// <summary>A version's succeeded evaluations from the <c>evaluation</c> schema, the headline numbers read from each stored report.</summary>
internal sealed class EvaluationHistory(NpgsqlDataSource dataSource) : IEvaluationHistory
{
    /// <summary>The newest ones, as the evaluation list shows at most.</summary>
    public const int Limit = ListEvaluations.ListEvaluationsEndpoint.Limit;

    public async Task<IReadOnlyList<FinishedEvaluation>> FinishedAsync(string model, string version, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT id, dataset_version AS DatasetVersion, split, annotations, images, annotations_sha256 AS AnnotationsSha256,
                   (report->>'image_count')::int AS ImagesScored,
                   (report->'stats'->>'map_all')::float8 AS Map,
                   (report->'stats'->>'map50')::float8 AS Ap50,
                   (report->'calibration'->>'expected_calibration_error')::float8 AS Ece,
                   finished_at AS FinishedAt
            FROM evaluation.evaluations
            WHERE model_name = @model AND version = @version AND state = 'succeeded'
            ORDER BY finished_at DESC, id DESC
            LIMIT @limit
            """, new { model, version, limit = Limit }, cancellationToken: ct));
        return [.. rows.Select(r => new FinishedEvaluation(r.Id, r.DatasetVersion, r.Split, r.Annotations, r.Images, r.AnnotationsSha256, r.ImagesScored, r.Map, r.Ap50, r.Ece,
            new DateTimeOffset(DateTime.SpecifyKind(r.FinishedAt, DateTimeKind.Utc))))];
    }

    private sealed record Row(Guid Id, string? DatasetVersion, string? Split, string? Annotations, string? Images, string? AnnotationsSha256, int ImagesScored, double Map, double Ap50, double Ece, DateTime FinishedAt);
}
