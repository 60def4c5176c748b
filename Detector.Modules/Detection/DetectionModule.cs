using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Detection.DetectAndRecord;
using Detector.Modules.Detection.DetectObjects;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Detection;

/// <summary>
/// Detection requests: the detect API (with its async fallback to a one-image job) and the
/// detect-and-record use case every path shares, sync requests and job items alike.
/// </summary>
public static class DetectionModule
{
    public static IHostApplicationBuilder AddDetection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DetectApiOptions>(DetectApiOptions.SectionName, DetectApiOptions.LegacySectionName);
        builder.Services.AddScoped<IValidator<DetectObjectsRequest>, DetectObjectsValidator>();
        builder.Services.AddSingleton<IDetectionRecorder, DetectionRecorder>();
        builder.Services.AddSingleton<ResultCache>();
        builder.Services.AddSingleton<IResultDeletionListener>(sp => sp.GetRequiredService<ResultCache>());
        builder.Services.AddSingleton<CachedDetection>();
        builder.Services.AddSingleton<StoreBehind>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StoreBehind>());
        builder.Services.AddHostedService<PendingImageSweep>();
        builder.Services.AddSingleton<DetectUploads>();
        builder.Services.AddSingleton<DetectObjectsHandler>();
        return builder;
    }

    public static IEndpointRouteBuilder MapDetectionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Detection").RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        group.MapPost("/detect", DetectObjectsEndpoint.Handle)
            .Validate<DetectObjectsRequest>()
            .Audited("result.create")
            .Idempotent()
            .AllowBrowserKeys()
            .DisableAntiforgery()
            .Accepts<byte[]>(isOptional: true, "multipart/form-data", "image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "application/octet-stream")
            .WithName("DetectObjects")
            .WithSummary("Detects objects in one image and answers in the request; the result is stored and can be fetched again.")
            .WithDescription("Send multipart/form-data with an `image` field, or the raw image bytes. Boxes are [x1, y1, x2, y2] in pixels of the EXIF-oriented original image. With `Prefer: respond-async`, a request that cannot be served within its deadline (503/504) is answered 202 with a one-image job instead.")
            .Produces<ResultDocument>()
            .Produces<JobAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        return app;
    }
}
