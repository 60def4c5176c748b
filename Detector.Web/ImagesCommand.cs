using Detector.Modules.Common.Database;
using Detector.Modules.Images;
using Serilog;
using Serilog.Events;

namespace Detector.Web;

/// <summary>
/// `Detector.Web images copy ...`: maintenance of the image store with the service's own modules
/// and configuration (the database of Database:ConnectionString, migrated first), without the web server.
/// </summary>
internal static class ImagesCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Services.AddSerilog(c => c.MinimumLevel.Warning()
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose));
        builder.AddDatabase();
        builder.AddImages();

        using var host = builder.Build();
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(cts.Token);
        return await ImagesModule.RunImagesCommandAsync(host.Services, args, Console.Out, cts.Token);
    }
}
