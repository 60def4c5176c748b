using Detector.Modules.Common;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.ListModels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Modules.Models;

/// <summary>The model registry: which detectors this process serves and how each one is fed.</summary>
public static class ModelsModule
{
    public static IServiceCollection AddModels(this IServiceCollection services)
    {
        services.AddValidatedOptions<ModelsOptions>(ModelsOptions.SectionName);
        services.AddSingleton<IModelCatalog, ModelCatalog>();
        return services;
    }

    public static IEndpointRouteBuilder MapModelsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/models").WithTags("Models").RequireAuthorization();
        group.MapGet("/", ListModelsEndpoint.Handle)
            .WithName("ListModels")
            .WithSummary("Lists the served models with their versions and input sizes.");
        return app;
    }
}
