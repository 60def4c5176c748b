using Detector.Modules.Common;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Detector.Modules.Preprocessing;

public static class PreprocessingModule
{
    /// <summary>Registers <see cref="IImagePreprocessor"/> (stateless, so one instance serves every request) and its options.</summary>
    public static IServiceCollection AddPreprocessing(this IServiceCollection services)
    {
        services.AddValidatedOptions<PreprocessingOptions>(PreprocessingOptions.SectionName);
        services.TryAddSingleton<IImagePreprocessor, SkiaImagePreprocessor>();
        return services;
    }
}
