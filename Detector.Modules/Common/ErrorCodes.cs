namespace Detector.Modules.Common;

/// <summary>Stable error codes: clients branch on these, so they never change meaning.</summary>
public static class ErrorCodes
{
    public const string Internal = "internal_error";
    public const string ValidationFailed = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string EmptyBody = "empty_body";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string UnsupportedImageFormat = "unsupported_image_format";
    public const string CorruptImage = "corrupt_image";
    public const string ImageTooLarge = "image_too_many_pixels";
    public const string ImageTooComplex = "image_too_complex";
    public const string MissingImageField = "missing_image_field";
    public const string UnknownModel = "unknown_model";
    public const string InvalidCursor = "invalid_cursor";
    public const string Overloaded = "overloaded";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string RateLimited = "rate_limited";
    public const string ModelNotReady = "model_not_ready";
    public const string InferenceFailed = "inference_failed";
    public const string StorageUnavailable = "storage_unavailable";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string StorageFull = "storage_full";
    public const string ImageMissing = "image_missing";
    public const string AttemptsExhausted = "attempts_exhausted";
    public const string TooManyImages = "too_many_images";
    public const string JobNotFound = "job_not_found";
    public const string JobNotFinished = "job_not_finished";
    public const string WebhooksNotConfigured = "webhooks_not_configured";
    public const string WebhookSecretMissing = "webhook_secret_missing";
    public const string UrlForbidden = "url_forbidden";
    public const string UrlFetchFailed = "url_fetch_failed";
    public const string UrlTooLarge = "url_too_large";
    public const string UrlTimeout = "url_timeout";
    public const string UrlNotAnImage = "url_not_an_image";
    public const string UrlTooManyRedirects = "url_too_many_redirects";
    public const string QuotaExceeded = "quota_exceeded";
    public const string ConcurrencyLimited = "concurrency_limited";
    public const string PriorityNotAllowed = "priority_not_allowed";
    public const string IdempotencyKeyInvalid = "idempotency_key_invalid";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string IdempotencyKeyInUse = "idempotency_key_in_use";
    public const string TenantDisabled = "tenant_disabled";
    public const string WrongRegion = "wrong_region";
    public const string RegionHasData = "region_has_data";
    public const string InvalidManifest = "invalid_manifest";
    public const string ArtifactNotFound = "artifact_not_found";
    public const string ArtifactMismatch = "artifact_mismatch";
    public const string DatasetNotFound = "dataset_not_found";
    public const string EvaluationNotFound = "evaluation_not_found";
    public const string EvaluationNotFinished = "evaluation_not_finished";
    public const string EvaluationFailed = "evaluation_failed";
    public const string EvaluationsNotComparable = "evaluations_not_comparable";
    public const string VersionExists = "version_exists";
    public const string VersionNotFound = "version_not_found";
    public const string VersionNotActive = "version_not_active";
    public const string VersionAliased = "version_aliased";
    public const string AliasProtected = "alias_protected";
    public const string SharesExceedOne = "shares_exceed_one";

    // Dataset versions as evaluation and training name them (issue 26).
    public const string DatasetVersionNotFound = "dataset_version_not_found";
    public const string ExportMismatch = "export_sha256_mismatch";
    public const string TrainingRunNotFound = "training_run_not_found";
}
