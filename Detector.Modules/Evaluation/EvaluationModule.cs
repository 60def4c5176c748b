using Detector.Modules.Evaluation.Contracts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Evaluation;

/// <summary>COCO-style accuracy evaluation of a served model, in-process or as the `eval` command.</summary>
public static class EvaluationModule
{
    /// <summary>Registers <see cref="IDatasetEvaluator"/>; needs the inference and model modules for IObjectDetector and IModelCatalog.</summary>
    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddTransient<IDatasetEvaluator, DatasetEvaluator>();
        return builder;
    }

    /// <summary>No endpoints: evaluation runs as the `eval` command and in tests.</summary>
    public static IEndpointRouteBuilder MapEvaluationEndpoints(this IEndpointRouteBuilder app) => app;

    /// <summary>
    /// The `eval` command's use case, its line already parsed by the host: evaluates and prints the
    /// report to <paramref name="output"/>. Returns 0 on success, 2 for an unknown model.
    /// </summary>
    public static Task<int> RunEvaluationAsync(IServiceProvider services, EvaluationSettings settings, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        return EvaluationCommand.RunAsync(services, settings, output, ct);
    }
}
