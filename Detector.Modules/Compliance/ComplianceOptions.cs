using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Compliance;

/// <summary>Retention's schedule and batch size.</summary>
public sealed class ComplianceOptions
{
    public const string SectionName = "Compliance";

    /// <summary>Whether this instance registers the recurring retention job (any instance may run it; Hangfire runs one at a time).</summary>
    public bool RetentionEnabled { get; set; } = true;

    /// <summary>When retention runs (cron, UTC); hourly by default, off the hour.</summary>
    [Required]
    [RegularExpression(@"^\S+( \S+){4,5}$", ErrorMessage = "RetentionCron must be a cron expression of 5 or 6 fields.")]
    public string RetentionCron { get; set; } = "17 * * * *";

    /// <summary>Rows deleted per statement: each batch is one short transaction, so retention never holds long locks.</summary>
    [Range(1, 10_000)]
    public int RetentionBatchSize { get; set; } = 500;
}
