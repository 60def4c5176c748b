using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Tenancy;

public sealed class TenancyOptions
{
    public const string SectionName = "Detector";

    /// <summary>Admin API key (Detector__AdminApiKey). Never committed; run.sh generates one for development.</summary>
    [Required]
    [MinLength(16, ErrorMessage = "Detector:AdminApiKey must be at least 16 characters.")]
    public string AdminApiKey { get; set; } = "";

    /// <summary>
    /// Server secret of the keyed hash (HMAC-SHA256) under which API keys are stored
    /// (Detector__ApiKeyHashSecret): a stolen table of hashes cannot be checked offline without it.
    /// Changing it invalidates every tenant key. run.sh generates one for development.
    /// </summary>
    [Required]
    [MinLength(32, ErrorMessage = "Detector:ApiKeyHashSecret must be at least 32 characters.")]
    public string ApiKeyHashSecret { get; set; } = "";

    /// <summary>
    /// Longest a verified key or a tenant's plan is trusted without asking the database again.
    /// Revocations, disabling and plan changes reach every instance at once (LISTEN/NOTIFY);
    /// this bounds staleness only if that notification channel is down.
    /// </summary>
    [Range(0, 3600)]
    public int KeyCacheSeconds { get; set; } = 30;
}
