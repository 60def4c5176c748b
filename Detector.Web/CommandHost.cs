using Serilog;
using Serilog.Events;

namespace Detector.Web;

/// <summary>The host every command line builds (no web server): its content root beside the binaries, warnings and errors to stderr.</summary>
internal static class CommandHost
{
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
}
