using Detector.Modules.Common;
using Detector.Modules.Evaluation.RunEvaluation;
using Detector.Modules.Evaluation.StartEvaluation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Evaluation.GetEvaluation;

/// <summary>GET /v1/admin/evaluations/{id}: the evaluation's state and progress, and its report once it succeeded.</summary>
internal static class GetEvaluationEndpoint
{
    public static async Task<Ok<EvaluationView>> Handle(Guid id, EvaluationStore store, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.EvaluationNotFound, "Evaluation not found", $"No evaluation {id}.");
        return TypedResults.Ok(EvaluationView.Of(row, withReport: true));
    }
}
