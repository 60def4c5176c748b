using Detector.Modules.Common.Database;
using Detector.Tests.Integration.ImageStorage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration;

/// <summary>
/// `Detector.Web migrate` (the Kubernetes migration Job) applies every migration and exits; a
/// replica started with Database:MigrateOnStart false counts as migrated (and may turn ready)
/// only once the database holds every migration its own db/ folder has.
/// </summary>
public sealed class MigrateCommandTests : IAsyncLifetime
{
    private readonly FreshDatabase _database = new("migrate_command");

    public Task InitializeAsync() => _database.CreateAsync();

    public Task DisposeAsync() => _database.DropAsync();

    [Fact]
    public async Task The_migrate_command_applies_every_migration_and_a_non_migrating_replica_waits_for_it()
    {
        var migrations = Path.Combine(TestPaths.RepoRoot, "db");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = _database.ConnectionString,
            ["Database:MigrationsPath"] = migrations,
            ["Database:MigrateOnStart"] = "false",
        });
        builder.AddDatabase();
        await using var replica = builder.Build();
        var runner = replica.Services.GetRequiredService<MigrationRunner>();

        Assert.False(await runner.IsCurrentAsync(CancellationToken.None));
        Assert.False(runner.Applied);

        var (code, output) = await WebCommand.RunAsync(["migrate"], new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = _database.ConnectionString,
            ["Database__MigrationsPath"] = migrations,
        }, TimeSpan.FromMinutes(2));

        Assert.True(code == 0, output);
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM public.schema_migrations", connection);
        Assert.Equal(Directory.GetFiles(migrations, "*.sql").Length, (int)(long)(await count.ExecuteScalarAsync())!);
        Assert.True(await runner.IsCurrentAsync(CancellationToken.None));
        Assert.True(runner.Applied);
    }

    [Fact]
    public async Task The_migrate_command_fails_with_exit_code_1_when_the_database_cannot_be_reached()
    {
        var (code, output) = await WebCommand.RunAsync(["migrate"], new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none;Timeout=2",
            ["Database__MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
        }, TimeSpan.FromMinutes(1));

        Assert.Equal(1, code);
        Assert.Contains("migration failed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=none", output, StringComparison.Ordinal);
    }
}
