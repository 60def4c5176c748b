using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Inference;

/// <summary>
/// The degradation ladder (Inference:Degradation): under a growing backlog a sync request is
/// served by a cheaper configured model instead of being refused, announced in the answer.
/// Rungs: full model, then its compressed variant (an INT8 version of the same model), then its
/// lower-resolution variant, then a faster model; beyond those,
/// admission by deadline answers 202 (Prefer: respond-async) or 503.
/// </summary>
public sealed class DegradationOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Backlog (seconds of queued work across models) as a share of the sync budget at which the compressed rung engages.</summary>
    [Range(0.01, 10)]
    public double CompressedAt { get; set; } = 0.2;

    /// <summary>Backlog share of the sync budget at which the lower-resolution rung engages.</summary>
    [Range(0.01, 10)]
    public double LowerResolutionAt { get; set; } = 0.3;

    /// <summary>Backlog share of the sync budget at which the faster-model rung engages.</summary>
    [Range(0.01, 10)]
    public double FasterModelAt { get; set; } = 0.5;

    /// <summary>A rung releases only once the backlog has stayed below this share of its engage threshold...</summary>
    [Range(0.05, 1)]
    public double ReleaseFactor { get; set; } = 0.5;

    /// <summary>...for this long, so the ladder does not flap with every batch.</summary>
    [Range(0, 600_000)]
    public int ReleaseAfterMs { get; set; } = 2_000;

    /// <summary>Per requested model: its cheaper stand-ins (model names that are served too).</summary>
    public Dictionary<string, DegradationSteps> Models { get; } = new(StringComparer.Ordinal);
}

public sealed class DegradationSteps
{
    /// <summary>The same model with compressed weights, as a pinned version or alias (e.g. nanodet_m_416@int8, made by `export`).</summary>
    public string? Compressed { get; set; }

    /// <summary>The same model at a smaller input (e.g. picodet_s_320 for picodet_s_416).</summary>
    public string? LowerResolution { get; set; }

    /// <summary>A smaller or faster model.</summary>
    public string? FasterModel { get; set; }
}
