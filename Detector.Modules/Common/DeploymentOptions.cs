using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Common;

/// <summary>
/// How this process is deployed, as the operator states it. Facts about the whole deployment,
/// not about one module, so they live in the shared kernel and any module may ask.
/// </summary>
public sealed class DeploymentOptions
{
    public const string SectionName = "Deployment";

    /// <summary>
    /// How many instances of the service share this database behind the load balancer. Anything
    /// above 1 rules out state kept on one host's disk.
    /// </summary>
    [Range(1, 10_000)]
    public int Instances { get; set; } = 1;

    /// <summary>
    /// The service's address as clients reach it (behind the load balancer), e.g.
    /// https://detector.example.com. Links the service sends out of band (webhooks) start with it;
    /// they are relative when it is unset, and never taken from a request's Host header.
    /// </summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// The region this instance serves: its database and image store are that region's, and it
    /// refuses (421 wrong_region) the requests of tenants pinned to another (ADR 0013).
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$", ErrorMessage = "Deployment:Region must be lower-case letters, digits and dashes.")]
    public string Region { get; set; } = "default";

    /// <summary>Whether this instance serves data pinned to <paramref name="region"/>.</summary>
    public bool Serves(string region) => string.Equals(region, Region, StringComparison.OrdinalIgnoreCase);

    /// <summary>The 421 wrong_region answer for data pinned to <paramref name="tenantRegion"/>, naming it so a client or router can go there.</summary>
    public DomainException WrongRegion(string tenantRegion, string what) =>
        new(OutcomeKind.WrongRegion, ErrorCodes.WrongRegion, "Wrong region", $"{what} lives in region '{tenantRegion}'; this instance serves '{Region}'.")
        {
            Extensions = new Dictionary<string, object?> { ["region"] = tenantRegion },
        };
}
