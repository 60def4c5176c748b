using Detector.Modules.Preprocessing.Contracts;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Results.GetAnnotatedResult;

/// <summary>Query of an annotated image: <c>max_side</c> downsizes it so its longer side fits.</summary>
internal sealed class AnnotatedImageRequest
{
    [FromQuery(Name = "max_side")]
    public int? MaxSide { get; set; }
}

internal sealed class AnnotatedImageRequestValidator : AbstractValidator<AnnotatedImageRequest>
{
    /// <summary>Below a thumbnail the labels cannot be read; above it the original is served anyway.</summary>
    public const int MinSide = 32;

    public const int MaxSide = 16_384;

    public AnnotatedImageRequestValidator() =>
        RuleFor(r => r.MaxSide).InclusiveBetween(MinSide, MaxSide).When(r => r.MaxSide is not null).OverridePropertyName("max_side");
}

/// <summary>GET /v1/results/{id}/annotated.jpg|.png: another tenant's result answers 404 like a missing one.</summary>
internal static class GetAnnotatedResultEndpoint
{
    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult>> Jpeg(Guid id, [AsParameters] AnnotatedImageRequest request, HttpContext http, GetAnnotatedResultHandler handler, CancellationToken ct) =>
        Handle(id, request, AnnotatedFormat.Jpeg, "image/jpeg", http, handler, ct);

    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult>> Png(Guid id, [AsParameters] AnnotatedImageRequest request, HttpContext http, GetAnnotatedResultHandler handler, CancellationToken ct) =>
        Handle(id, request, AnnotatedFormat.Png, "image/png", http, handler, ct);

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult>> Handle(
        Guid id, AnnotatedImageRequest request, AnnotatedFormat format, string contentType, HttpContext http, GetAnnotatedResultHandler handler, CancellationToken ct)
    {
        var ifNoneMatch = http.Request.Headers.IfNoneMatch;
        var answer = await handler.HandleAsync(http.User.GetTenantId(), http.User.BrowserKeyId(), id, format, request.MaxSide, ifNoneMatch, ct);
        http.Response.Headers.ETag = answer.ETag;
        http.Response.Headers.CacheControl = "private, no-cache";
        return answer.Image is { } image
            ? TypedResults.File(image, contentType)
            : TypedResults.StatusCode(StatusCodes.Status304NotModified);
    }
}
