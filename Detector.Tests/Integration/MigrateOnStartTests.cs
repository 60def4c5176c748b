using Detector.Modules.Common.Database;
using Detector.Tests.Integration.ImageStorage;
using Detector.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration;

/// <summary>
/// Whether the service migrates its database at start-up is <see cref="DatabaseOptions.MigrateOnStart"/>
/// as the options resolve it, not a configuration key read beside them: configuration, code
/// and renamed sections all reach it through the options.
/// </summary>
public sealed class MigrateOnStartTests : IAsyncLifetime
{
    private readonly FreshDatabase _database = new("migrate_on_start");

    public Task InitializeAsync() => _database.CreateAsync();

    public Task DisposeAsync() => _database.DropAsync();

    [Theory]
    [InlineData("true", false)]
    [InlineData("false", true)]
    public async Task Migrations_run_at_start_up_exactly_when_the_database_options_say_so(string configured, bool resolved)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = _database.ConnectionString,
            ["Database:MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
            ["Database:MigrateOnStart"] = configured,
        });
        builder.AddDatabase();
        builder.Services.PostConfigure<DatabaseOptions>(o => o.MigrateOnStart = resolved);
        await using var app = builder.Build();

        Assert.True(await app.ValidateAndMigrateAsync());

        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var migrated = new NpgsqlCommand("SELECT to_regclass('public.schema_migrations') IS NOT NULL", connection);
        Assert.Equal(resolved, (bool)(await migrated.ExecuteScalarAsync())!);
    }
}
