using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Inference;

/// <summary>ONNX Runtime sessions, the dynamic-batching scheduler and the detection pipeline.</summary>
public static class InferenceModule
{
    public static IServiceCollection AddInference(this IServiceCollection services)
    {
        services.AddValidatedOptions<InferenceOptions>(InferenceOptions.SectionName);
        services.AddSingleton<InferenceHost>();
        services.AddSingleton<IInferenceReadiness>(sp => sp.GetRequiredService<InferenceHost>());
        services.AddHostedService(sp => sp.GetRequiredService<InferenceHost>());
        services.AddSingleton<IObjectDetector, ObjectDetector>();
        return services;
    }
}
