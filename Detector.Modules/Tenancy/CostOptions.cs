using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Tenancy;

/// <summary>The price of compute (Tenancy:Cost): what one core held for one second costs, in Currency.</summary>
public sealed class CostOptions
{
    public const string SectionName = "Tenancy:Cost";

    /// <summary>Default: a 2-core cloud VM at about 0.09 a hour, per core-second.</summary>
    [Range(0, 1_000)]
    public double PricePerCoreSecond { get; set; } = 0.0000125;

    [Required]
    [RegularExpression("^[A-Z]{3}$")]
    public string Currency { get; set; } = "USD";
}
