using Detector.Modules.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Evaluation.CompareEvaluations;

/// <summary>GET /v1/admin/evaluations/{a}/compare/{b}?samples=N: B against A, overall and per class, with bootstrap intervals over images.</summary>
internal static class CompareEvaluationsEndpoint
{
    public const int DefaultSamples = 200;
    public const int MaxSamples = 2_000;

    public static async Task<Ok<EvaluationComparison>> Handle(Guid a, Guid b, [FromQuery(Name = "samples")] int? samples, CompareEvaluationsHandler handler, CancellationToken ct)
    {
        if (samples is < 20 or > MaxSamples)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Invalid samples", $"samples must be between 20 and {MaxSamples}.");
        }

        return TypedResults.Ok(await handler.HandleAsync(a, b, samples ?? DefaultSamples, ct));
    }
}
