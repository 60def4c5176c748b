using Detector.Modules.Common;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.ListModels;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Models;

/// <summary>The model registry: which detectors this process serves and how each one is fed.</summary>
public static class ModelsModule
{
    public static IHostApplicationBuilder AddModels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ModelsOptions>(ModelsOptions.SectionName);
        builder.Services.AddSingleton<IModelCatalog, ModelCatalog>();
        builder.Services.AddSingleton<ListModelsHandler>();
        return builder;
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
