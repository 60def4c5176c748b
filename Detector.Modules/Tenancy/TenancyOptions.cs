using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Tenancy;

public sealed class TenancyOptions
{
    public const string SectionName = "Detector";

    /// <summary>Admin API key (Detector__AdminApiKey). Never committed; run.sh generates one for development.</summary>
    [Required]
    [MinLength(16, ErrorMessage = "Detector:AdminApiKey must be at least 16 characters.")]
    public string AdminApiKey { get; set; } = "";

    /// <summary>How long a verified tenant key is trusted without asking the database again.</summary>
    [Range(0, 3600)]
    public int KeyCacheSeconds { get; set; } = 30;
}
