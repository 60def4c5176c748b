using Detector.Modules.Rollouts.Comparison;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Rollouts.GetRollout;

/// <summary>A model's rollout as this instance sees it over the sliding window.</summary>
internal sealed record RolloutView(
    string Model,
    string Instance,
    IReadOnlyDictionary<string, string> Aliases,
    IReadOnlyDictionary<string, double> Traffic,
    IReadOnlyList<VariantSummary> Variants,
    IReadOnlyList<ComparisonSummary> Comparisons,
    Breach? LastBreach,
    GuardrailOptions Guardrails,
    int WindowSize,
    int WindowSeconds);

/// <summary>GET /v1/admin/rollouts/{model}.</summary>
internal static class GetRolloutEndpoint
{
    public static Ok<RolloutView> Handle(string model, GetRolloutHandler handler) => TypedResults.Ok(handler.Handle(model));
}
