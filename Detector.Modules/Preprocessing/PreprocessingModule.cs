using Detector.Modules.Common;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Preprocessing;

/// <summary>Decoding, orienting, resizing and normalising images into model input tensors, exactly like each model's reference.</summary>
public static class PreprocessingModule
{
    /// <summary>Registers <see cref="IImagePreprocessor"/> and <see cref="IImageScaler"/> (stateless, so one instance of each serves every caller) and the options.</summary>
    public static IHostApplicationBuilder AddPreprocessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<PreprocessingOptions>(PreprocessingOptions.SectionName);
        builder.Services.TryAddSingleton<IImagePreprocessor, SkiaImagePreprocessor>();
        builder.Services.TryAddSingleton<IImageScaler, SkiaImageScaler>();
        builder.Services.TryAddSingleton<IImageAnnotator, SkiaImageAnnotator>();
        return builder;
    }

    /// <summary>No endpoints: preprocessing runs inside the detection pipeline.</summary>
    public static IEndpointRouteBuilder MapPreprocessingEndpoints(this IEndpointRouteBuilder app) => app;
}
