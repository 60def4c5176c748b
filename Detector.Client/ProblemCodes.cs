namespace Detector.Client;

/// <summary>
/// The stable <c>code</c> values of the service's problem answers that callers most often branch
/// on (the full list is in the service's ADR 0005). A code never changes meaning.
/// </summary>
public static class ProblemCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";

    /// <summary>A browser key used from an origin its tenant does not allow (or with none).</summary>
    public const string OriginNotAllowed = "origin_not_allowed";

    /// <summary>A browser key on an endpoint browser keys may not use.</summary>
    public const string KeyNotAllowed = "key_not_allowed";
    public const string NotFound = "not_found";
    public const string JobNotFound = "job_not_found";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedImageFormat = "unsupported_image_format";
    public const string CorruptImage = "corrupt_image";
    public const string ImageTooManyPixels = "image_too_many_pixels";
    public const string ImageTooComplex = "image_too_complex";
    public const string RateLimited = "rate_limited";
    public const string ConcurrencyLimited = "concurrency_limited";
    public const string QuotaExceeded = "quota_exceeded";
    public const string Overloaded = "overloaded";
    public const string ModelNotReady = "model_not_ready";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string IdempotencyKeyInUse = "idempotency_key_in_use";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
}
