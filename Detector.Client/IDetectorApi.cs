using Refit;

namespace Detector.Client;

/// <summary>
/// The HTTP surface the client uses, one method per operation (Refit generates the calls). Every
/// method answers an <see cref="IApiResponse"/> rather than throwing, so <see cref="RetryLoop"/>
/// sees each status and its Retry-After. The API key is a parameter of each call (null: the
/// HttpClient sends its own). The routes and models are checked against the service's OpenAPI
/// document by Detector.Tests' ClientContractTests.
/// </summary>
internal interface IDetectorApi
{
    [Multipart]
    [Post("/v1/detect")]
    Task<IApiResponse<DetectionResult>> DetectObjects(
        [AliasAs("image")] ByteArrayPart image,
        [Query] DetectQuery query,
        [Header("Idempotency-Key")] string idempotencyKey,
        [Header("X-Subject-Id")] string? subjectId,
        [Header("X-Api-Key")] string? apiKey,
        CancellationToken cancellationToken);

    [Get("/v1/results/{id}")]
    Task<IApiResponse<DetectionResult>> GetResult(Guid id, [Header("X-Api-Key")] string? apiKey, CancellationToken cancellationToken);

    [Get("/v1/results")]
    Task<IApiResponse<ResultPage>> ListResults([Query] PageQuery page, [Header("X-Api-Key")] string? apiKey, CancellationToken cancellationToken);

    [Delete("/v1/results/{id}")]
    Task<IApiResponse> DeleteResult(Guid id, [Header("X-Api-Key")] string? apiKey, CancellationToken cancellationToken);

    [Multipart]
    [Post("/v1/jobs")]
    Task<IApiResponse<JobAccepted>> SubmitJob(
        [AliasAs("images")] IEnumerable<ByteArrayPart> images,
        [Query] JobQuery query,
        [Header("Idempotency-Key")] string idempotencyKey,
        [Header("X-Api-Key")] string? apiKey,
        CancellationToken cancellationToken);

    [Post("/v1/jobs")]
    Task<IApiResponse<JobAccepted>> SubmitJobUrls(
        [Body] JobUrlsBody body,
        [Header("Idempotency-Key")] string idempotencyKey,
        [Header("X-Api-Key")] string? apiKey,
        CancellationToken cancellationToken);

    [Get("/v1/jobs/{id}")]
    Task<IApiResponse<Job>> GetJob(Guid id, [Header("X-Api-Key")] string? apiKey, CancellationToken cancellationToken);

    [Get("/v1/jobs/{id}/results")]
    Task<IApiResponse<JobResultPage>> ListJobResults(Guid id, [Query] PageQuery page, [Header("X-Api-Key")] string? apiKey, CancellationToken cancellationToken);

    [Delete("/v1/jobs/{id}")]
    Task<IApiResponse<Job>> CancelJob(Guid id, [Header("X-Api-Key")] string? apiKey, CancellationToken cancellationToken);
}

/// <summary>The query of <c>POST /v1/detect</c>; null parameters are left out.</summary>
internal sealed record DetectQuery(
    [property: AliasAs("model")] string? Model,
    [property: AliasAs("min_score")] float? MinScore,
    [property: AliasAs("iou")] float? Iou,
    [property: AliasAs("max_detections")] int? MaxDetections,
    [property: AliasAs("allow_degradation")] bool? AllowDegradation,
    [property: AliasAs("calibrated")] bool? Calibrated);

/// <summary>The query of a multipart <c>POST /v1/jobs</c>.</summary>
internal sealed record JobQuery(
    [property: AliasAs("model")] string? Model,
    [property: AliasAs("min_score")] float? MinScore,
    [property: AliasAs("iou")] float? Iou,
    [property: AliasAs("max_detections")] int? MaxDetections,
    [property: AliasAs("callback_url")] string? CallbackUrl,
    [property: AliasAs("priority")] string? Priority);

/// <summary>The JSON body of <c>POST /v1/jobs</c> with image URLs (snake_case on the wire).</summary>
internal sealed record JobUrlsBody(
    IReadOnlyList<string> Urls,
    string? Model,
    float? MinScore,
    float? Iou,
    int? MaxDetections,
    string? CallbackUrl,
    string? Priority);

/// <summary>Keyset paging: <c>limit</c> (1..100) and the <c>next_cursor</c> of the page before.</summary>
internal sealed record PageQuery(
    [property: AliasAs("limit")] int Limit,
    [property: AliasAs("cursor")] string? Cursor);
