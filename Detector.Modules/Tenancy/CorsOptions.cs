using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Tenancy;

/// <summary>Cross-origin calls from web apps with browser keys (Tenancy:Cors:...; ADR 0027).</summary>
public sealed class CorsOptions
{
    public const string SectionName = "Tenancy:Cors";

    /// <summary>How long a browser may reuse an answered preflight (Access-Control-Max-Age).</summary>
    [Range(0, 86_400)]
    public int PreflightMaxAgeSeconds { get; set; } = 600;

    /// <summary>Most allowed origins one tenant may list.</summary>
    [Range(1, 100)]
    public int MaxOriginsPerTenant { get; set; } = 20;
}
