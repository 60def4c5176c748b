using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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

    /// <summary>
    /// As <see cref="AddValidatedOptions{TOptions}(IServiceCollection, string)"/>, for a section
    /// that was renamed: settings under <paramref name="legacySectionName"/> still apply (the new
    /// name wins where both set a key), and the host logs a warning naming the rename at start-up.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string sectionName, string legacySectionName)
        where TOptions : class
    {
        services.AddSingleton(new RenamedSection(legacySectionName, sectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RenamedSectionWarnings>());
        return services.AddOptions<TOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                configuration.GetSection(legacySectionName).Bind(options);
                configuration.GetSection(sectionName).Bind(options);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}

/// <summary>A configuration section's old and new names.</summary>
public sealed record RenamedSection(string Legacy, string Current);

/// <summary>Warns at start-up about every renamed section still configured under its old name.</summary>
internal sealed partial class RenamedSectionWarnings(IEnumerable<RenamedSection> renamed, IConfiguration configuration, ILogger<RenamedSectionWarnings> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var section in renamed.DistinctBy(r => r.Legacy))
        {
            if (configuration.GetSection(section.Legacy).Exists())
            {
                LogRenamed(logger, section.Legacy, section.Current);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration section {Legacy} is read under its old name; rename it to {Current} (environment: {Current}__... instead of {Legacy}__...)")]
    private static partial void LogRenamed(ILogger logger, string legacy, string current);
}
