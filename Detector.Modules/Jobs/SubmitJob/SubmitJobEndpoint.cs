using Detector.Modules.Common;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Jobs.SubmitJob;

/// <summary>POST /v1/jobs: binds the submission (multipart uploads, or a JSON list of URLs) and answers 202 with the job.</summary>
internal static class SubmitJobEndpoint
{
    public static async Task<Accepted<JobAccepted>> Handle(
        [AsParameters] SubmitJobRequest query,
        HttpContext http,
        SubmitJobHandler handler,
        IValidator<SubmitJobRequest> validator,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken ct)
    {
        var submission = await BindAsync(query, http.Request, validator, json.Value.SerializerOptions, ct);
        var accepted = await handler.HandleAsync(http.User.GetTenantId(), submission, ct);
        http.SetIdempotencySubject(accepted.Id); // erasing the job forgets a replay of this answer
        return TypedResults.Accepted(accepted.StatusUrl, accepted);
    }

    /// <summary>
    /// Multipart: the query's options and the body's image parts, streamed later by the handler.
    /// JSON: the body's fields over the query's, validated like the query (the filter saw only the query).
    /// </summary>
    private static async Task<JobSubmission> BindAsync(
        SubmitJobRequest query, HttpRequest request, IValidator<SubmitJobRequest> validator, System.Text.Json.JsonSerializerOptions options, CancellationToken ct)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "Send multipart/form-data with repeated 'images' fields, or application/json with 'urls'.");
        }

        if (mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return new JobSubmission(query, request, null);
        }

        if (!mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", $"Content-Type '{mediaType.MediaType}' is not accepted. Send multipart/form-data with repeated 'images' fields, or application/json with 'urls'.");
        }

        // JSON is UTF-8 (RFC 8259); another or unknown charset made ReadFromJsonAsync throw a 500.
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !mediaType.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "JSON bodies must be UTF-8 (charset=utf-8, or no charset).");
        }

        var body = await ReadJsonAsync(request, options, ct);
        var settings = new SubmitJobRequest
        {
            Model = body.Model ?? query.Model,
            MinScore = body.MinScore ?? query.MinScore,
            Iou = body.Iou ?? query.Iou,
            MaxDetections = body.MaxDetections ?? query.MaxDetections,
            CallbackUrl = body.CallbackUrl ?? query.CallbackUrl,
            Priority = body.Priority ?? query.Priority,
        };
        var validation = await validator.ValidateAsync(settings, ct);
        if (!validation.IsValid)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Validation failed", string.Join(" ", validation.Errors.Select(e => e.ErrorMessage)));
        }

        return new JobSubmission(settings, null, body.Urls);
    }

    private static async Task<SubmitJobBody> ReadJsonAsync(HttpRequest request, System.Text.Json.JsonSerializerOptions options, CancellationToken ct)
    {
        try
        {
            return await request.ReadFromJsonAsync<SubmitJobBody>(options, ct)
                ?? throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.EmptyBody, "Empty body", "The JSON body is null.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Malformed JSON", ex.Message);
        }
    }
}
