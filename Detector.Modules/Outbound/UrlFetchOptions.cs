using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Outbound;

/// <summary>How images are fetched from the URLs tenants give (Outbound:UrlFetch; formerly Jobs:UrlFetch).</summary>
public sealed class UrlFetchOptions
{
    public const string SectionName = "Outbound:UrlFetch";

    /// <summary>The section's name before the Outbound module had its own; still read, with a warning.</summary>
    public const string LegacySectionName = "Jobs:UrlFetch";

    /// <summary>
    /// host:port (or host, any port) entries exempt from the address policy, for tests and private
    /// deployments; everything else must resolve only to public addresses.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>Largest image fetched whatever the caller allows (a tenant's plan may allow less).</summary>
    [Range(1024, 1L << 31)]
    public long MaxBytes { get; set; } = 20L * 1024 * 1024;

    [Range(0.1, 600)]
    public double TimeoutSeconds { get; set; } = 30;

    [Range(0, 10)]
    public int MaxRedirects { get; set; } = 3;
}
