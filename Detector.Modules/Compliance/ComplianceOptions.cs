using System.ComponentModel.DataAnnotations;
using Cronos;

namespace Detector.Modules.Compliance;

/// <summary>Retention's schedule and batch size, and the audit log's key, retention and anchoring.</summary>
public sealed class ComplianceOptions : IValidatableObject
{
    public const string SectionName = "Compliance";

    /// <summary>Whether this instance schedules retention (any instance may run it; one runs at a time, under an advisory lock).</summary>
    public bool RetentionEnabled { get; set; } = true;

    /// <summary>When retention runs (cron, UTC); hourly by default, off the hour.</summary>
    [Required]
    [RegularExpression(@"^\S+( \S+){4,5}$", ErrorMessage = "RetentionCron must be a cron expression of 5 or 6 fields.")]
    public string RetentionCron { get; set; } = "17 * * * *";

    /// <summary>Rows deleted per statement: each batch is one short transaction, so retention never holds long locks.</summary>
    [Range(1, 10_000)]
    public int RetentionBatchSize { get; set; } = 500;

    /// <summary>
    /// The HMAC key of audit entries' subject digests (who, for whom, on what, from where), so a
    /// redacted entry's digest cannot be inverted by trying every address and key id. Never stored
    /// in the database and never logged; changing it leaves the subjects of older entries
    /// unverifiable (their chain still verifies). At least 32 characters (openssl rand -hex 32).
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Compliance:AuditSubjectKey is required: the HMAC key of audit subjects, at least 32 characters (openssl rand -hex 32).")]
    [MinLength(32, ErrorMessage = "Compliance:AuditSubjectKey must be at least 32 characters (openssl rand -hex 32).")]
    public string AuditSubjectKey { get; set; } = "";

    /// <summary>How long audit entries (addresses, key ids, image hashes) are kept; retention deletes older ones and verification starts from a checkpoint. About 13 months by default, so a year's reviews can look back a whole year.</summary>
    [Range(1, 36_500)]
    public int AuditRetentionDays { get; set; } = 400;

    /// <summary>How often each instance logs the chain's head (seq:hash) as an anchor outside the database.</summary>
    [Range(1, 10_080)]
    public int AuditHeadLogMinutes { get; set; } = 60;

    /// <summary>A cron expression of 5 fields, or 6 with seconds first (as Hangfire read it before, ADR 0015).</summary>
    internal static CronExpression ParseCron(string expression) =>
        CronExpression.Parse(expression, expression.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string? problem = null;
        try
        {
            ParseCron(RetentionCron ?? "");
        }
        catch (CronFormatException ex)
        {
            problem = ex.Message;
        }

        if (problem is not null)
        {
            yield return new ValidationResult($"Compliance:RetentionCron is not a cron expression: {problem}", [nameof(RetentionCron)]);
        }
    }

    /// <summary>Without the key: options may end up in a log or a debugger's view.</summary>
    public override string ToString() =>
        $"retention {RetentionCron} (batch {RetentionBatchSize}), audit kept {AuditRetentionDays} days, head logged every {AuditHeadLogMinutes} min, subject key {(AuditSubjectKey.Length > 0 ? "set" : "missing")}";
}
