using Detector.Modules.Common;
using Detector.Modules.Ingestion.Contracts;
using Detector.Modules.Ingestion.Storage;
using Detector.Modules.Ingestion.SubmitImage;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;

namespace Detector.Modules.Ingestion;

/// <summary>Getting images in: the synchronous detect API and the content-addressed image store.</summary>
public static class IngestionModule
{
    public static IServiceCollection AddIngestion(this IServiceCollection services)
    {
        services.AddValidatedOptions<IngestionOptions>(IngestionOptions.SectionName);
        services.AddValidatedOptions<ImageStoreOptions>(ImageStoreOptions.SectionName);
        services.AddSingleton<IImageStore, FileImageStore>();
        services.AddScoped<IValidator<SubmitImageRequest>, SubmitImageValidator>();
        return services;
    }

    public static IEndpointRouteBuilder MapIngestionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Detection").RequireAuthorization(TenantClaims.TenantPolicy);
        group.MapPost("/detect", SubmitImageEndpoint.Handle)
            .Validate<SubmitImageRequest>()
            .DisableAntiforgery()
            .Accepts<byte[]>(isOptional: true, "multipart/form-data", "image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "application/octet-stream")
            .WithName("DetectObjects")
            .WithSummary("Detects objects in one image and answers in the request; the result is stored and can be fetched again.")
            .WithDescription("Send multipart/form-data with an `image` field, or the raw image bytes. Boxes are [x1, y1, x2, y2] in pixels of the EXIF-oriented original image. With `Prefer: respond-async`, a request that cannot be served within its deadline (503/504) is answered 202 with a one-image job instead.")
            .Produces<ResultDocument>()
            .Produces<Detector.Modules.Jobs.Contracts.JobAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        return app;
    }
}
