using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Ingestion;

public sealed class IngestionOptions
{
    public const string SectionName = "Ingestion";

    /// <summary>Largest accepted image upload; larger ones get 413.</summary>
    [Range(1024, 1L << 31)]
    public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>
    /// How long an overload refusal (503 before the body is read) is held before it is sent. A
    /// client that resends at once then asks a few times a second instead of thousands: each
    /// refusal still costs no body read, no database and no CPU while held (a timer), and a
    /// client that honours Retry-After (at least 1 s) loses nothing. 0 answers at once.
    /// </summary>
    [Range(0, 5_000)]
    public int RefusalHoldMs { get; set; } = 250;

    /// <summary>Longest deadline a client may ask for with X-Deadline-Ms.</summary>
    [Range(1, 3_600_000)]
    public int MaxDeadlineMs { get; set; } = 120_000;
}
