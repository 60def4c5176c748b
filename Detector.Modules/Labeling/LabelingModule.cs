using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Labeling;

/// <summary>The data loop's human half (issue 26): feedback on served results, the labeling queue, consensus and review.</summary>
public static class LabelingModule
{
    public static IHostApplicationBuilder AddLabeling(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapLabelingEndpoints(this IEndpointRouteBuilder app) => app;
}
