using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Detection;

/// <summary>The detect API: upload size, the overload refusal hold, deadlines and the image written behind the answer (Detection; formerly Ingestion).</summary>
public sealed class DetectApiOptions : IValidatableObject
{
    public const string SectionName = "Detection";

    /// <summary>The section's name before the detect API moved to the Detection module; still read, with a warning.</summary>
    public const string LegacySectionName = "Ingestion";

    /// <summary>Largest accepted image upload; larger ones get 413.</summary>
    [Range(1024, 1L << 31)]
    public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>
    /// How long an overload refusal (503 before the body is read) is held before it is sent. A
    /// client that resends at once then asks twice a second instead of thousands: each refusal
    /// still costs no body read, no database and no CPU while held (a timer), and a client that
    /// honours Retry-After (at least 1 s) loses nothing. At 250 ms, 64 such clients still made
    /// about 160 refusals a second, whose HTTP work cost 10 % of the goodput on two cores
    /// (docs/benchmarks.md); at 500 ms, half that, and the same goodput as polite clients. It
    /// is also the sync budget: a refused client learns no later than an admitted one is
    /// answered. 0 answers at once.
    /// </summary>
    [Range(0, 5_000)]
    public int RefusalHoldMs { get; set; } = 500;

    /// <summary>Longest deadline a client may ask for with X-Deadline-Ms.</summary>
    [Range(1, 3_600_000)]
    public int MaxDeadlineMs { get; set; } = 120_000;

    /// <summary>
    /// Bytes of photos this instance may be storing after their answers at once (ADR 0016). Past
    /// it, a request waits for its own put before it is answered, so a store slower than the
    /// detections cannot grow memory without bound. 0 stores every photo before answering.
    /// </summary>
    [Range(0, 1L << 34)]
    public long StoreBehindMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Longest a put written behind an answer may run before it is given up (the result then says <c>not_stored</c>, <c>store_failed</c>).</summary>
    [Range(1, 3_600)]
    public int StoreBehindTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Age past which a result still <c>pending</c> is marked <c>not_stored</c>, <c>interrupted</c>:
    /// the instance writing its image died. Above the put timeout, so a live writer always settles
    /// its own results first.
    /// </summary>
    [Range(2, 86_400)]
    public int PendingImageExpirySeconds { get; set; } = 300;

    /// <summary>How often each instance looks for pending images whose writer died.</summary>
    [Range(1, 3_600)]
    public int PendingImageSweepSeconds { get; set; } = 60;

    /// <summary>
    /// Bytes of kept candidates this instance's result cache may hold (ADR 0017); least recently
    /// used entries go first past it. 0 turns the cache off.
    /// </summary>
    [Range(0, 1L << 34)]
    public long ResultCacheMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long a cache entry may serve after its detection, however often it is used.</summary>
    [Range(1, 604_800)]
    public int ResultCacheTtlSeconds { get; set; } = 3_600;

    /// <summary>
    /// The cache keeps the candidates scoring above this (before NMS): a repeat with min_score at
    /// or above it is answered from the cache, a lower one runs the model. Lower keeps more per
    /// entry (about 24 bytes a candidate).
    /// </summary>
    [Range(0.001, 1.0)]
    public float ResultCacheScoreFloor { get; set; } = 0.05f;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PendingImageExpirySeconds <= StoreBehindTimeoutSeconds)
        {
            yield return new ValidationResult(
                $"PendingImageExpirySeconds ({PendingImageExpirySeconds}) must exceed StoreBehindTimeoutSeconds ({StoreBehindTimeoutSeconds}): a put still running would be marked interrupted.",
                [nameof(PendingImageExpirySeconds)]);
        }
    }
}
