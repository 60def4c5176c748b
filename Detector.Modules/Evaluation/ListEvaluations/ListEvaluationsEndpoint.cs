using Detector.Modules.Evaluation.RunEvaluation;
using Detector.Modules.Evaluation.StartEvaluation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Evaluation.ListEvaluations;

internal sealed record EvaluationList(IReadOnlyList<EvaluationView> Evaluations);

/// <summary>GET /v1/admin/evaluations: the latest evaluations, newest first, without their reports.</summary>
internal static class ListEvaluationsEndpoint
{
    public const int Limit = 100;

    public static async Task<Ok<EvaluationList>> Handle(EvaluationStore store, CancellationToken ct) =>
        TypedResults.Ok(new EvaluationList([.. (await store.ListAsync(Limit, ct)).Select(r => EvaluationView.Of(r, withReport: false))]));
}
