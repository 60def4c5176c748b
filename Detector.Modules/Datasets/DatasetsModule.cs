using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Datasets;

/// <summary>The data loop's record (issue 26): immutable, content-addressed dataset versions, their lineage and training-run records.</summary>
public static class DatasetsModule
{
    public static IHostApplicationBuilder AddDatasets(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapDatasetsEndpoints(this IEndpointRouteBuilder app) => app;
}
