using Detector.Modules.Common.Database;
using Detector.Modules.Compliance;
using Serilog;
using Serilog.Events;

namespace Detector.Web;

/// <summary>The host every command line builds (no web server): its content root beside the binaries, warnings and errors to stderr.</summary>
internal static class CommandHost
{
    /// <summary>Exit code of a command line that does not parse.</summary>
    public const int BadArguments = 2;

    /// <summary>
    /// Runs a parsed command line: its action's exit code, or <see cref="BadArguments"/> after each
    /// parse error on stderr (prefixed with the command's name, as scripts read it).
    /// </summary>
    public static async Task<int> InvokeAsync(System.CommandLine.ParseResult parsed, string errorPrefix)
    {
        if (parsed.Errors.Count == 0)
        {
            return await parsed.InvokeAsync();
        }

        foreach (var error in parsed.Errors)
        {
            await Console.Error.WriteLineAsync(errorPrefix + error.Message);
        }

        return BadArguments;
    }

    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Services.AddSerilog(c => c.MinimumLevel.Warning()
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose));
        return builder;
    }

    /// <summary>
    /// For commands that read or change the model registry: its database, and the audit trail the
    /// registry's writes go through (registrations, refused loads), as in the service. The
    /// command never schedules retention.
    /// </summary>
    public static HostApplicationBuilder AddRegistryDatabase(this HostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Configuration["Compliance:RetentionEnabled"] = "false";
        builder.AddDatabase();
        builder.AddCompliance();
        return builder;
    }
}
