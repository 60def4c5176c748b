using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Rollouts;

public sealed class RolloutsOptions
{
    public const string SectionName = "Rollouts";

    /// <summary>
    /// The part of eligible traffic compared off the request's path: production requests run again
    /// on the <c>shadow</c> version, canary requests again on production. Each comparison costs a
    /// model run on cores the interactive path leaves idle.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ComparisonSampleRate { get; set; } = 0.1;

    /// <summary>Comparisons waiting for idle cores; a copy offered beyond this is dropped, counted.</summary>
    [Range(1, 1000)]
    public int ComparisonQueueCapacity { get; set; } = 8;

    /// <summary>How long a comparison waits for the interactive path to go idle before it is dropped, counted.</summary>
    [Range(1, 60_000)]
    public int ComparisonMaxWaitMs { get; set; } = 2000;

    /// <summary>The sliding window a variant is judged over: its last requests, no older than <see cref="WindowSeconds"/>.</summary>
    [Range(10, 100_000)]
    public int WindowSize { get; set; } = 1000;

    [Range(10, 86_400)]
    public int WindowSeconds { get; set; } = 600;

    /// <summary>
    /// An off-path comparison of a tenant's photo whose agreement (F1 of the candidate's boxes
    /// against production's at IoU 0.5) is below this is reported to <c>IShadowDisagreements</c>
    /// (the labeling queue); 0 reports none.
    /// </summary>
    [Range(0.0, 1.0)]
    public double DisagreementBelow { get; set; } = 0.5;

    public GuardrailOptions Guardrails { get; set; } = new();
}

/// <summary>What a canary is held to against production over the window; a breach sets its share to 0 at once.</summary>
public sealed class GuardrailOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Canary requests in the window before it is judged at all.</summary>
    [Range(1, 100_000)]
    public int MinRequests { get; set; } = 100;

    /// <summary>Off-path comparisons in the window before agreement is judged.</summary>
    [Range(1, 100_000)]
    public int MinComparisons { get; set; } = 10;

    /// <summary>The canary's error rate may exceed production's by at most this.</summary>
    [Range(0.0, 1.0)]
    public double MaxErrorRateIncrease { get; set; } = 0.02;

    /// <summary>The canary's p95 latency may be at most this multiple of production's.</summary>
    [Range(1.0, 100.0)]
    public double MaxP95LatencyRatio { get; set; } = 2.0;

    /// <summary>The canary's mean detections per image may differ from production's by at most this fraction (of production's, or of 1).</summary>
    [Range(0.0, 100.0)]
    public double MaxDetectionsDeviation { get; set; } = 0.5;

    /// <summary>The canary's agreement with production (F1 of its boxes against production's at IoU 0.5) must be at least this.</summary>
    [Range(0.0, 1.0)]
    public double MinAgreement { get; set; } = 0.7;

    /// <summary>How often each model's canary is judged.</summary>
    [Range(100, 600_000)]
    public int EvaluateEveryMs { get; set; } = 1000;

    /// <summary>Promote the canary to production after this many canary requests in the window without a breach (never before <see cref="MinRequests"/>); 0: only by an explicit call.</summary>
    [Range(0, 10_000_000)]
    public int AutoPromoteAfter { get; set; }
}
