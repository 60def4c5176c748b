using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Common.Database;

public static class DatabaseExtensions
{
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
        services.AddSingleton<MigrationRunner>();
        return builder;
    }
}
