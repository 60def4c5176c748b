using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Degradation;
using Detector.Modules.Inference.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Inference;

/// <summary>ONNX Runtime sessions, the dynamic-batching scheduler and the detection pipeline.</summary>
public static class InferenceModule
{
    public static IHostApplicationBuilder AddInference(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<InferenceOptions>(InferenceOptions.SectionName);
        services.TryAddSingleton<IInferenceFaults>(NoInferenceFaults.Instance);
        services.AddSingleton<InferenceHost>();
        services.AddSingleton<IInferenceReadiness>(sp => sp.GetRequiredService<InferenceHost>());
        services.AddSingleton<IInferenceLoad>(sp => sp.GetRequiredService<InferenceHost>());
        services.AddHostedService(sp => sp.GetRequiredService<InferenceHost>());
        services.AddSingleton<IValidateOptions<InferenceOptions>, DegradationValidator>();
        services.AddSingleton<DegradationLadder>();
        services.AddSingleton<IObjectDetector, ObjectDetector>();
        return builder;
    }

    /// <summary>No endpoints: detection is reached through the ingestion and jobs APIs.</summary>
    public static IEndpointRouteBuilder MapInferenceEndpoints(this IEndpointRouteBuilder app) => app;
}
