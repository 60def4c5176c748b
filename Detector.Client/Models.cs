namespace Detector.Client;

/// <summary>
/// A detection result as <c>POST /v1/detect</c>, <c>GET /v1/results/{id}</c> and a job's items
/// return it. The JSON is snake_case; these names follow it one to one (checked against the
/// service's OpenAPI document by Detector.Tests' ClientContractTests).
/// </summary>
public sealed record DetectionResult(
    Guid Id,
    DateTimeOffset CreatedAt,
    string Source,
    ModelReference Model,
    ImageReference Image,
    IReadOnlyList<DetectedObject> Detections,
    ResultTimings Timings)
{
    /// <summary>The shape the result was stored in (1 for results stored before the field existed).</summary>
    public int SchemaVersion { get; init; }

    /// <summary>Set when a cheaper stand-in served the request (the degradation ladder); null otherwise.</summary>
    public DegradationInfo? Degradation { get; init; }

    /// <summary><c>hit</c> when the detections came from the tenant's result cache; null otherwise.</summary>
    public string? Cache { get; init; }
}

/// <summary>The model and version that served; <see cref="Variant"/> is the alias the request was routed or pinned to.</summary>
public sealed record ModelReference(string Name, string Version)
{
    public string? Variant { get; init; }
}

/// <summary>The degradation ladder's rung (<c>lower_resolution</c>, <c>faster_model</c>) and the model asked for.</summary>
public sealed record DegradationInfo(string Rung, string RequestedModel);

/// <summary>The photo detected on: its size after EXIF orientation, SHA-256, format and where it stands in the store.</summary>
public sealed record ImageReference(int Width, int Height, string Sha256, string Format)
{
    /// <summary><c>stored</c>, <c>pending</c> or <c>not_stored</c>.</summary>
    public string? Storage { get; init; }

    /// <summary>Why a <c>not_stored</c> image is not: <c>plan</c>, <c>store_failed</c> or <c>interrupted</c>.</summary>
    public string? NotStoredReason { get; init; }
}

/// <summary>One box: [x1, y1, x2, y2] in pixels of the oriented original photo.</summary>
public sealed record DetectedObject(string Label, int ClassId, float Score, IReadOnlyList<float> Box)
{
    /// <summary>The calibrated probability of being right, when asked for (<see cref="DetectOptions.Calibrated"/>) and the version has a calibration.</summary>
    public float? CalibratedScore { get; init; }
}

/// <summary>Where the time went, in milliseconds; <see cref="CoreMs"/> is what the request's cost is reckoned on.</summary>
public sealed record ResultTimings(double DecodeMs, double QueueMs, double InferenceMs, double PostprocessMs, double TotalMs, int BatchSize)
{
    public double CoreMs { get; init; }
}

/// <summary>The answer to a job submission (202): the job's id and where to follow it.</summary>
public sealed record JobAccepted(Guid Id, string Status, string StatusUrl, string ResultsUrl);

/// <summary>A job as <c>GET /v1/jobs/{id}</c> returns it.</summary>
public sealed record Job(
    Guid Id,
    string Status,
    string Source,
    string Priority,
    string? Model,
    JobCounts Counts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool CancelRequested,
    string StatusUrl,
    string ResultsUrl,
    JobWebhook? Webhook)
{
    /// <summary>Whether the job has stopped changing: <c>succeeded</c>, <c>partially_failed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public bool IsFinished => Status is "succeeded" or "partially_failed" or "failed" or "cancelled";
}

/// <summary>How many of a job's items ended each way, and how many have not yet.</summary>
public sealed record JobCounts(int Total, int Succeeded, int Failed, int Cancelled, int Pending);

/// <summary>The completion webhook of a job with a <c>callback_url</c>, and each delivery attempt.</summary>
public sealed record JobWebhook(string Url, string? Status, IReadOnlyList<WebhookAttempt> Attempts);

/// <summary>One delivery attempt of a job's completion webhook.</summary>
public sealed record WebhookAttempt(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, double DurationMs);

/// <summary>One image of a job, in submission order: its result when it succeeded, its error when it failed.</summary>
public sealed record JobItem(int Index, string? FileName, string? Url, string Status, JobItemError? Error, DetectionResult? Result);

/// <summary>Why one item of a job failed: a stable problem code (<see cref="ProblemCodes"/>) and a detail.</summary>
public sealed record JobItemError(string Code, string? Detail);

/// <summary>A page of <c>GET /v1/results</c>; <see cref="DetectorClient.ListResultsAsync"/> walks them.</summary>
internal sealed record ResultPage(IReadOnlyList<DetectionResult> Items, string? NextCursor);

/// <summary>A page of <c>GET /v1/jobs/{id}/results</c>; <see cref="DetectorClient.ListJobResultsAsync"/> walks them.</summary>
internal sealed record JobResultPage(Guid JobId, string Status, IReadOnlyList<JobItem> Items, string? NextCursor);
