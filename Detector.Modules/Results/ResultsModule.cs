using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Results.DeleteResult;
using Detector.Modules.Results.GetAnnotatedResult;
using Detector.Modules.Results.GetResult;
using Detector.Modules.Results.ImageReferences;
using Detector.Modules.Results.ListResults;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Results;

/// <summary>Detection results: their storage, and serving them back per tenant.</summary>
public static class ResultsModule
{
    public static IHostApplicationBuilder AddResults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IResultStore, ResultStore>();
        builder.Services.AddSingleton<IUsageComputeSource, UsageCompute>();
        builder.Services.AddSingleton<IResultImageStorage, PendingImages.ResultImageStorage>();
        builder.Services.AddSingleton<IResultFeed, Feed.ResultFeed>();
        builder.Services.AddSingleton<GetResultHandler>();
        builder.Services.AddSingleton<GetAnnotatedResultHandler>();
        builder.Services.AddSingleton<ListResultsHandler>();
        builder.Services.AddSingleton<DeleteResultHandler>();
        builder.Services.AddSingleton<ITenantRegionalData, RegionalResults>();
        builder.Services.AddSingleton<Images.Contracts.IImageReferences, ResultImageReferences>();
        builder.Services.TryAddScoped<IValidator<PageRequest>, PageRequestValidator>();
        builder.Services.AddScoped<IValidator<AnnotatedImageRequest>, AnnotatedImageRequestValidator>();
        return builder;
    }

    public static IEndpointRouteBuilder MapResultsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/results").WithTags("Results").RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        group.MapGet("/{id:guid}", GetResultEndpoint.Handle)
            .Audited("result.read", "id")
            .AllowBrowserKeys()
            .WithName("GetResult")
            .WithSummary("Returns one stored result of the calling tenant; If-None-Match with its ETag answers 304.")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:guid}/annotated.jpg", GetAnnotatedResultEndpoint.Jpeg)
            .Validate<AnnotatedImageRequest>()
            .Audited("result.annotated.read", "id")
            .AllowBrowserKeys()
            .WithName("GetAnnotatedResult")
            .WithSummary("Returns the result's stored image with its boxes, labels and scores drawn (JPEG; max_side downsizes); ETag and If-None-Match as for the result.")
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:guid}/annotated.png", GetAnnotatedResultEndpoint.Png)
            .Validate<AnnotatedImageRequest>()
            .Audited("result.annotated.read", "id")
            .AllowBrowserKeys()
            .WithName("GetAnnotatedResultPng")
            .WithSummary("The same annotated image as PNG (lossless: the boxes' colours exact).")
            .Produces(StatusCodes.Status200OK, contentType: "image/png")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{id:guid}", DeleteResultEndpoint.Handle)
            .Audited("result.delete", "id")
            .WithName("DeleteResult")
            .WithSummary("Deletes one result of the calling tenant (not its image: DELETE /v1/images/{sha256}).")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", ListResultsEndpoint.Handle)
            .Validate<PageRequest>()
            .Audited("results.list")
            .WithName("ListResults")
            .WithSummary("Lists the calling tenant's results, newest first; pass next_cursor back as cursor for the next page.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }
}
