using Microsoft.Extensions.Options;

namespace Detector.Modules.Common;

public static class OptionsExtensions
{
    /// <summary>Binds a configuration section and validates it (data annotations) when the host starts, not on first use.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string sectionName)
        where TOptions : class =>
        services.AddOptions<TOptions>()
            .BindConfiguration(sectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
}
