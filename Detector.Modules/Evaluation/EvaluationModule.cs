using Detector.Modules.Common;
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
    /// Runs `eval --model M --annotations F --images DIR [...]` and prints the report.
    /// Returns 0 on success, 2 on bad arguments or an unknown model.
    /// </summary>
    public static async Task<int> RunEvaluationCommandAsync(IServiceProvider services, string[] args, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);

        if (args.Length > 1 && args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            await output.WriteLineAsync(EvaluationCommand.Usage);
            return 0;
        }

        var settings = EvaluationCommand.Parse(args, out var error);
        if (settings is null)
        {
            await output.WriteLineAsync($"eval: {error}");
            await output.WriteLineAsync(EvaluationCommand.Usage);
            return 2;
        }

        // A scope, in case the pipeline's services are scoped.
        await using var scope = services.CreateAsyncScope();
        var evaluator = scope.ServiceProvider.GetRequiredService<IDatasetEvaluator>();
        EvaluationReport report;
        try
        {
            report = await evaluator.EvaluateAsync(settings, ct);
        }
        catch (ProblemException problem) when (problem.Code == ErrorCodes.UnknownModel)
        {
            await output.WriteLineAsync($"eval: {problem.Message}");
            return 2;
        }

        await output.WriteAsync(EvaluationCommand.Format(report));
        return 0;
    }
}
