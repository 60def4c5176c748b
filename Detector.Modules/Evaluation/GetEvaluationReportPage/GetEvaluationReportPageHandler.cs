using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Evaluation.Reports;
using Detector.Modules.Evaluation.RunEvaluation;

namespace Detector.Modules.Evaluation.GetEvaluationReportPage;

/// <summary>
/// The report page of one evaluation: 404 <c>evaluation_not_found</c> for an unknown id, 409
/// <c>evaluation_not_finished</c> while it is queued or running and 409 <c>evaluation_failed</c> when
/// it ended without a report; otherwise the stored report drawn as HTML (<see cref="ReportPage"/>).
/// </summary>
internal sealed class GetEvaluationReportPageHandler(EvaluationStore store)
{
    public async Task<string> HandleAsync(Guid id, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.EvaluationNotFound, "Evaluation not found", $"No evaluation {id}.");
        return PageOf(row);
    }

    /// <summary>The page of a stored evaluation, or the conflict that says why it has none.</summary>
    internal static string PageOf(EvaluationRow row)
    {
        if (row.Report is null)
        {
            throw row.State == EvaluationStates.Failed
                ? new DomainException(OutcomeKind.Conflict, ErrorCodes.EvaluationFailed, "Evaluation failed", $"Evaluation {row.Id} failed and has no report: {row.Error}")
                : new DomainException(OutcomeKind.Conflict, ErrorCodes.EvaluationNotFinished, "Evaluation not finished",
                    $"Evaluation {row.Id} is {row.State} ({row.ImagesDone} of {row.ImagesTotal} images scored); its report comes when it succeeds.");
        }

        var report = JsonSerializer.Deserialize<EvaluationJobReport>(row.Report, EvaluationRunner.Json)
            ?? throw new InvalidDataException($"Evaluation {row.Id} has an empty report.");
        DateTimeOffset? finished = row.FinishedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
        return ReportPage.Render(row.Id, finished, report);
    }
}
