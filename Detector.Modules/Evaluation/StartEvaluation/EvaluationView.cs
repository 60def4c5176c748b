using System.Text.Json;
using Detector.Modules.Evaluation.RunEvaluation;

namespace Detector.Modules.Evaluation.StartEvaluation;

/// <summary>An evaluation as the API shows it; the report once it succeeded (GET of one evaluation only).</summary>
internal sealed record EvaluationView(
    Guid Id, string Model, string ModelName, string Version, string Sha256, string? Annotations, string? Images, string? DatasetVersion, string? Split, string? AnnotationsSha256, string State,
    int ImagesTotal, int ImagesDone, int Runs, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JsonElement? Report)
{
    public static EvaluationView Of(EvaluationRow row, bool withReport) => new(
        row.Id, row.Model, row.ModelName, row.Version, row.Sha256, row.Annotations, row.Images, row.DatasetVersion, row.Split, row.AnnotationsSha256, row.State, row.ImagesTotal, row.ImagesDone, row.Runs, row.Error,
        Utc(row.CreatedAt), row.StartedAt is { } started ? Utc(started) : null, row.FinishedAt is { } finished ? Utc(finished) : null, withReport && row.Report is { } report ? JsonDocument.Parse(report).RootElement.Clone() : null);

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));
}
