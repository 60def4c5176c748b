using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Monitoring;

public sealed class MonitoringOptions
{
    public const string SectionName = "Monitoring";

    public DriftOptions Drift { get; set; } = new();
}

/// <summary>
/// Online drift per model version (ADR 0021): the version's first <see cref="BaselineRequests"/>
/// served requests are its baseline; every following <see cref="WindowRequests"/> form a window
/// compared with it by the population stability index, per feature.
/// </summary>
public sealed class DriftOptions
{
    public bool Enabled { get; set; } = true;

    [Range(20, 1_000_000)]
    public int BaselineRequests { get; set; } = 1_000;

    [Range(20, 1_000_000)]
    public int WindowRequests { get; set; } = 500;

    /// <summary>PSI above this is drift (0.1-0.25 is the usual "some shift", above 0.25 "significant").</summary>
    [Range(0.01, 10)]
    public double PsiThreshold { get; set; } = 0.25;
}
