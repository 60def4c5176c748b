using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Labeling;

/// <summary>The labeling queue (Labeling:...): feedback limits, the sampler and its strategies, assignments.</summary>
public sealed class LabelingOptions : IValidatableObject
{
    public const string SectionName = "Labeling";

    /// <summary>Longest feedback note, in characters.</summary>
    [Range(0, 10_000)]
    public int MaxNoteLength { get; set; } = 1000;

    /// <summary>Most boxes in one label set (a labeler's or a reviewer's).</summary>
    [Range(1, 10_000)]
    public int MaxBoxes { get; set; } = 300;

    /// <summary>How long an assignment from <c>POST /v1/labeling/next</c> holds its item for the labeler.</summary>
    [Range(1, 1440)]
    public int AssignmentMinutes { get; set; } = 30;

    public SamplerOptions Sampler { get; set; } = new();

    /// <summary>How unknown labeler keys are kept from the database (guessing, floods of random keys).</summary>
    public KeyGuardOptions KeyGuard { get; set; } = new();

    /// <summary>By strategy name: LowConfidence, ShadowDisagreement, RareClass, Random, Feedback.</summary>
    public StrategiesOptions Strategies { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Strategies.LowConfidence.Low > Strategies.LowConfidence.High)
        {
            yield return new ValidationResult("Labeling:Strategies:LowConfidence:Low must not exceed High.");
        }
    }
}

/// <summary>Unknown labeler keys per address, and lookups at once per instance.</summary>
public sealed class KeyGuardOptions
{
    /// <summary>Unknown keys an address may send within <see cref="WindowSeconds"/> before it is refused without a lookup.</summary>
    [Range(1, 100_000)]
    public int MaxFailures { get; set; } = 20;

    [Range(1, 3600)]
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Addresses remembered at once; a spray from more forgets the oldest.</summary>
    [Range(100, 10_000_000)]
    public int MaxTrackedAddresses { get; set; } = 100_000;

    /// <summary>Key lookups running at once on an instance; more wait up to <see cref="LookupWaitMs"/>, then answer 503.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentLookups { get; set; } = 16;

    [Range(0, 10_000)]
    public int LookupWaitMs { get; set; } = 200;
}

/// <summary>The background sampler that follows new results into the queue.</summary>
public sealed class SamplerOptions
{
    public bool Enabled { get; set; } = true;

    [Range(1, 3600)]
    public int IntervalSeconds { get; set; } = 10;

    /// <summary>
    /// Results younger than this are left for the next round: their image may still be being
    /// stored (ADR 0016), a slower instance may still save one created earlier, and their
    /// disagreement may still be compared.
    /// </summary>
    [Range(0, 3600)]
    public int SettleSeconds { get; set; } = 30;

    /// <summary>Results read per round.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>How long a recorded disagreement is kept for the sampler to match.</summary>
    [Range(1, 720)]
    public int DisagreementRetentionHours { get; set; } = 24;
}

/// <summary>One strategy's switch, share and cap.</summary>
public class StrategyOptions
{
    public bool Enabled { get; set; }

    /// <summary>The fraction of eligible results it takes, chosen by a hash of the result id and the strategy's name (a rerun takes the same).</summary>
    [Range(0.0, 1.0)]
    public double Share { get; set; } = 1.0;

    /// <summary>Items it enqueues per tenant per UTC day.</summary>
    [Range(0, 1_000_000)]
    public int DailyCapPerTenant { get; set; } = 100;
}

/// <summary>A result with a detection scored within [Low, High].</summary>
public sealed class LowConfidenceOptions : StrategyOptions
{
    [Range(0.0, 1.0)]
    public double Low { get; set; } = 0.3;

    [Range(0.0, 1.0)]
    public double High { get; set; } = 0.5;
}

/// <summary>
/// A result detecting a class found in fewer than <see cref="MaxShare"/> of the model's last
/// <see cref="RecentResults"/> results (judged only once <see cref="MinResults"/> were seen).
/// </summary>
public sealed class RareClassOptions : StrategyOptions
{
    [Range(0.0, 1.0)]
    public double MaxShare { get; set; } = 0.01;

    [Range(1, 1_000_000)]
    public int RecentResults { get; set; } = 5000;

    [Range(1, 1_000_000)]
    public int MinResults { get; set; } = 500;
}

public sealed class StrategiesOptions
{
    public LowConfidenceOptions LowConfidence { get; set; } = new();

    public StrategyOptions ShadowDisagreement { get; set; } = new();

    public RareClassOptions RareClass { get; set; } = new();

    public StrategyOptions Random { get; set; } = new();

    public StrategyOptions Feedback { get; set; } = new();
}
