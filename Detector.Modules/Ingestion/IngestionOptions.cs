using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Ingestion;

public sealed class IngestionOptions
{
    public const string SectionName = "Ingestion";

    /// <summary>Largest accepted image upload; larger ones get 413.</summary>
    [Range(1024, 1L << 31)]
    public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Longest deadline a client may ask for with X-Deadline-Ms.</summary>
    [Range(1, 3_600_000)]
    public int MaxDeadlineMs { get; set; } = 120_000;
}
