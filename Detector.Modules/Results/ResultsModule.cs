using Microsoft.Extensions.DependencyInjection.Extensions;
using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Results.GetResult;
using Detector.Modules.Results.ListResults;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;

namespace Detector.Modules.Results;

/// <summary>Stored detection results, served back per tenant.</summary>
public static class ResultsModule
{
    public static IServiceCollection AddResults(this IServiceCollection services)
    {
        services.AddSingleton<IResultStore, ResultStore>();
        services.TryAddScoped<IValidator<PageRequest>, PageRequestValidator>();
        return services;
    }

    public static IEndpointRouteBuilder MapResultsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/results").WithTags("Results").RequireAuthorization(TenantClaims.TenantPolicy);
        group.MapGet("/{id:guid}", GetResultEndpoint.Handle)
            .WithName("GetResult")
            .WithSummary("Returns one stored result of the calling tenant.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", ListResultsEndpoint.Handle)
            .Validate<PageRequest>()
            .WithName("ListResults")
            .WithSummary("Lists the calling tenant's results, newest first; pass next_cursor back as cursor for the next page.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }
}
