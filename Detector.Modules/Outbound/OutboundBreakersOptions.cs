using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Outbound;

/// <summary>
/// The circuit breakers per tenant and outbound host (Outbound:Breakers): when <see cref="FailureRatio"/>
/// of a tenant's calls to a host within <see cref="SamplingSeconds"/> (at least
/// <see cref="MinimumThroughput"/>) failed, its calls there stop for <see cref="BreakSeconds"/>.
/// </summary>
public sealed class OutboundBreakersOptions
{
    public const string SectionName = "Outbound:Breakers";

    [Range(0.01, 1)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls within the sampling window before the ratio counts (Polly's minimum is 2).</summary>
    [Range(2, 100_000)]
    public int MinimumThroughput { get; set; } = 10;

    [Range(0.5, 86_400)]
    public double SamplingSeconds { get; set; } = 60;

    [Range(0.5, 86_400)]
    public double BreakSeconds { get; set; } = 30;

    /// <summary>Breakers kept before idle ones are forgotten (hosts come from tenants, so they are not kept forever).</summary>
    [Range(1, 10_000_000)]
    public int MaxHosts { get; set; } = 4096;

    /// <summary>How long an open breaker is kept through the sweep, so a host that is down stays broken for a tenant that waits it out.</summary>
    [Range(0.1, 10_080)]
    public double ForgetOpenMinutes { get; set; } = 10;

    /// <summary>Sweeps of idle breakers run at most this often, and only while there are more than <see cref="MaxHosts"/>.</summary>
    [Range(0.1, 3600)]
    public double SweepSeconds { get; set; } = 10;
}
