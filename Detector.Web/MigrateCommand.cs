using System.CommandLine;
using Detector.Modules.Common.Database;
using Microsoft.Extensions.Options;

namespace Detector.Web;

/// <summary>
/// `Detector.Web migrate`: applies the pending db/ migrations (Database:ConnectionString,
/// Database:MigrationsPath, the tenant directory too when it is a database of its own) and exits,
/// without the web server. A deployment runs it once before the rollout (the Kubernetes migration
/// Job, deploy/k8s) and starts the replicas with Database:MigrateOnStart false, so no replica
/// changes the schema while older ones still serve. Exit codes: 0 migrated (or nothing to do),
/// 1 failed, 2 bad command line.
/// </summary>
internal static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var migrate = new Command("migrate", "Applies the pending database migrations and exits.");
        migrate.SetAction((_, ct) => MigrateAsync(ct));
        var root = new RootCommand("Detector's own commands.") { migrate };

        return await CommandHost.InvokeAsync(root.Parse(args), "");
    }

    private static async Task<int> MigrateAsync(CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        builder.AddDatabase();
        using var host = builder.Build();
        try
        {
            var runner = host.Services.GetRequiredService<MigrationRunner>();
            await runner.MigrateAsync(ct);
            await Console.Out.WriteLineAsync("migrations applied");
            return 0;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or Npgsql.NpgsqlException)
        {
            // The message names the option, the folder or the failing statement; never the connection string.
            await Console.Error.WriteLineAsync("migration failed: " + ex.Message);
            return 1;
        }
    }
}
