using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Tenancy;

/// <summary>
/// The admin key, the key-hashing secret and the key cache (Tenancy:...). They shared the section
/// with nothing else under its old name, Detector, which still works (with a warning at
/// start-up). <see cref="PlanOptions"/> and <see cref="GuardOptions"/> read the same section's
/// other keys (DefaultPlan, Plans, Guards); binding ignores the keys of the others.
/// </summary>
public sealed class TenancyOptions
{
    public const string SectionName = "Tenancy";

    /// <summary>The section's name before issue 21 (Detector__AdminApiKey).</summary>
    public const string LegacySectionName = "Detector";

    /// <summary>Admin API key (Tenancy__AdminApiKey). Never committed; run.sh generates one for development.</summary>
    [Required]
    [MinLength(16, ErrorMessage = "Tenancy:AdminApiKey must be at least 16 characters.")]
    public string AdminApiKey { get; set; } = "";

    /// <summary>
    /// Server secret of the keyed hash (HMAC-SHA256) under which API keys are stored
    /// (Tenancy__ApiKeyHashSecret): a stolen table of hashes cannot be checked offline without it.
    /// Changing it invalidates every tenant key. run.sh generates one for development.
    /// </summary>
    [Required]
    [MinLength(32, ErrorMessage = "Tenancy:ApiKeyHashSecret must be at least 32 characters.")]
    public string ApiKeyHashSecret { get; set; } = "";

    /// <summary>
    /// Longest a verified key or a tenant's plan is trusted without asking the database again.
    /// Revocations, disabling and plan changes reach every instance at once (LISTEN/NOTIFY);
    /// this bounds staleness only if that notification channel is down.
    /// </summary>
    [Range(0, 3600)]
    public int KeyCacheSeconds { get; set; } = 30;
}
