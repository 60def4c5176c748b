using Detector.Modules.Rollouts.Comparison;

namespace Detector.Modules.Rollouts.Guardrails;

/// <summary>The guardrails a variant is held to against production over the window; the first it breaches, or null.</summary>
internal static class GuardrailCheck
{
    public static (string Guardrail, string Reason)? Breached(VariantSummary variant, VariantSummary? production, ComparisonSummary? comparison, GuardrailOptions g)
    {
        FormattableString? why = null;
        string? guardrail = null;
        if (comparison is { } c && c.Images >= g.MinComparisons && c.Agreement < g.MinAgreement)
        {
            (guardrail, why) = ("agreement", $"agreement with production {c.Agreement:0.000} (precision {c.Precision:0.000}, recall {c.Recall:0.000} over {c.Images} images) below {g.MinAgreement:0.000}");
        }
        else if (variant.Requests >= g.MinRequests && production is { Requests: > 0 } p)
        {
            var detectionsScale = Math.Max(p.DetectionsPerImage, 1);
            if (variant.ErrorRate > p.ErrorRate + g.MaxErrorRateIncrease)
            {
                (guardrail, why) = ("error_rate", $"error rate {variant.ErrorRate:P1} against production's {p.ErrorRate:P1} over {variant.Requests} requests");
            }
            else if (p.P95Ms > 0 && variant.P95Ms > p.P95Ms * g.MaxP95LatencyRatio)
            {
                (guardrail, why) = ("p95_latency", $"p95 latency {variant.P95Ms:0.0} ms against production's {p.P95Ms:0.0} ms (limit x{g.MaxP95LatencyRatio:0.##})");
            }
            else if (Math.Abs(variant.DetectionsPerImage - p.DetectionsPerImage) / detectionsScale > g.MaxDetectionsDeviation)
            {
                (guardrail, why) = ("detections_per_image", $"{variant.DetectionsPerImage:0.00} detections per image against production's {p.DetectionsPerImage:0.00}");
            }
        }

        return guardrail is null ? null : (guardrail, FormattableString.Invariant(why!));
    }
}
