using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Common.Database;

public static class DatabaseExtensions
{
    /// <summary>The key of the tenant directory's data source (<c>[FromKeyedServices(DatabaseExtensions.Directory)]</c>).</summary>
    public const string Directory = "directory";

    /// <summary>Registers the process's one NpgsqlDataSource (it owns the connection pool) and the migration runner.</summary>
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.SectionName);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
            builder.ConnectionStringBuilder.ApplicationName ??= "detector";
            return builder.Build();
        });
        // The directory is the same data source unless a separate one is configured.
        services.AddKeyedSingleton(Directory, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            if (string.IsNullOrWhiteSpace(options.DirectoryConnectionString) || options.DirectoryConnectionString == options.ConnectionString)
            {
                return sp.GetRequiredService<NpgsqlDataSource>();
            }

            var builder = new NpgsqlDataSourceBuilder(options.DirectoryConnectionString);
            builder.ConnectionStringBuilder.ApplicationName ??= "detector-directory";
            return builder.Build();
        });
        services.AddSingleton<MigrationRunner>();
        services.AddDatabaseBreaker();
        return builder;
    }
}
