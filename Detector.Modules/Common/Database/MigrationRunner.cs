using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Common.Database;

/// <summary>
/// Applies db/NNNN_name.sql files in order, each in its own transaction, recording them in
/// public.schema_migrations. A session advisory lock makes concurrent instances take turns,
/// so a scaled-out deployment can start all replicas at once.
/// </summary>
public sealed partial class MigrationRunner(
    NpgsqlDataSource dataSource,
    [FromKeyedServices(DatabaseExtensions.Directory)] NpgsqlDataSource directory,
    IOptions<DatabaseOptions> options,
    ILogger<MigrationRunner> logger)
{
    private const long AdvisoryLockKey = 0x44_45_54_45_43_54; // "DETECT"

    private volatile bool _applied;

    public bool Applied => _applied;

    [GeneratedRegex(@"^(\d{4})_[A-Za-z0-9_]+\.sql$")]
    private static partial Regex FileNamePattern();

    public static string ResolvePath(string path) =>
        Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);

    /// <summary>Migrates the database, and the tenant directory when it is a database of its own (every schema, so both stay at one version).</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await MigrateAsync(dataSource, cancellationToken);
        if (!ReferenceEquals(directory, dataSource))
        {
            await MigrateAsync(directory, cancellationToken);
        }

        _applied = true;
    }

    /// <summary>
    /// For an instance that does not migrate (<see cref="DatabaseOptions.MigrateOnStart"/> false,
    /// because a migration job does it before the rollout): true once every migration in the
    /// folder is recorded in the database (and the directory), and <see cref="Applied"/> from
    /// then on. Until then readiness stays false, so a replica never serves an older schema.
    /// </summary>
    public async Task<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        var expected = MigrationFiles().Select(f => f.Version).ToList();
        var targets = ReferenceEquals(directory, dataSource) ? new[] { dataSource } : new[] { dataSource, directory };
        foreach (var target in targets)
        {
            await using var connection = await target.OpenConnectionAsync(cancellationToken);
            var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT to_regclass('public.schema_migrations') IS NOT NULL", cancellationToken: cancellationToken));
            if (!exists)
            {
                return false;
            }

            var recorded = await connection.QueryAsync<int>(new CommandDefinition(
                "SELECT version FROM public.schema_migrations", cancellationToken: cancellationToken));
            if (expected.Except(recorded).Any())
            {
                return false;
            }
        }

        _applied = true;
        return true;
    }

    private List<(string Path, int Version)> MigrationFiles()
    {
        var folder = ResolvePath(options.Value.MigrationsPath);
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException($"Migrations folder '{folder}' does not exist.");
        }

        return Directory.GetFiles(folder, "*.sql")
            .Select(f => (Path: f, Match: FileNamePattern().Match(Path.GetFileName(f))))
            .Where(f => f.Match.Success)
            .Select(f => (f.Path, Version: int.Parse(f.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
            .OrderBy(f => f.Version)
            .ToList();
    }

    private async Task MigrateAsync(NpgsqlDataSource target, CancellationToken cancellationToken)
    {
        var files = MigrationFiles();

        await using var connection = await target.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                CREATE TABLE IF NOT EXISTS public.schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken: cancellationToken));

            var applied = (await connection.QueryAsync<int>(new CommandDefinition(
                "SELECT version FROM public.schema_migrations", cancellationToken: cancellationToken))).ToHashSet();

            foreach (var (path, version) in files)
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                var sql = await File.ReadAllTextAsync(path, cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO public.schema_migrations (version, name) VALUES (@version, @name)",
                    new { version, name = Path.GetFileName(path) }, tx, cancellationToken: cancellationToken));
                await tx.CommitAsync(cancellationToken);
                LogApplied(logger, Path.GetFileName(path));
            }
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    private static partial void LogApplied(ILogger logger, string migration);
}
