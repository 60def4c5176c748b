using Detector.Modules.Common.Database;
using Detector.Modules.Images;
using Detector.Modules.Images.Contracts;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>
/// The Images module alone, as the service registers it, on a fresh migrated database, with the
/// backend given by configuration. Each instance has its own data folder, as a host would.
/// </summary>
public sealed class ImageStoreHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _folder;

    private ImageStoreHost(IHost host, string folder, string connectionString)
    {
        _host = host;
        _folder = folder;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public IImageStore Store => _host.Services.GetRequiredService<IImageStore>();

    public IServiceProvider Services => _host.Services;

    /// <summary>Builds the host; the database must exist (<see cref="JobsApiFactory.CreateDatabaseAsync"/>). Migrates it.</summary>
    /// <param name="services">Replacements applied after the module's registrations (a fault-injecting S3 client).</param>
    public static async Task<ImageStoreHost> StartAsync(string connectionString, IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "detector-images-" + Guid.NewGuid().ToString("N"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = connectionString,
            ["Database:MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
            ["ImageStore:Path"] = folder,
            ["ImageStore:Encryption:MasterKey"] = TestSecrets.ImageMasterKey,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddDatabase();
        builder.AddImages();
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
        return new ImageStoreHost(host, folder, connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        _host.Dispose();
        NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        await Task.CompletedTask;
    }
}
