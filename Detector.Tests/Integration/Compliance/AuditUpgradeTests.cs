using Detector.Modules.Common.Database;
using Detector.Modules.Compliance;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Tests.Integration.Compliance;

/// <summary>A log written before keyed digests (migration 0011), with a redaction of then, still verifies after the upgrade.</summary>
public sealed class AuditUpgradeTests
{
    [Fact]
    public async Task Entries_and_redactions_written_before_the_keyed_digests_still_verify_after_the_upgrade_and_new_ones_link_to_them()
    {
        var baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString")
            ?? throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh.");
        var database = "audit_upgrade_" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = new NpgsqlConnectionStringBuilder(baseConnection) { Database = database }.ConnectionString;
        var before = Directory.CreateTempSubdirectory("detector-migrations-");
        await JobsApiFactory.CreateDatabaseAsync(baseConnection, database);
        try
        {
            // The schema as it was: every migration before 0011.
            foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "db"), "*.sql").Where(f => string.CompareOrdinal(Path.GetFileName(f), "0011") < 0))
            {
                File.Copy(file, Path.Combine(before.FullName, Path.GetFileName(file)));
            }

            using (var old = BuildHost(connectionString, before.FullName))
            {
                await old.Services.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
            }

            await ExecuteAsync(connectionString,
                """
                SELECT audit.append('tenant.create', 201, NULL, 'admin', '11111111-2222-3333-4444-555555555555', NULL, '127.0.0.1');
                SELECT audit.append('result.read', 200, NULL, 'key:k1', '11111111-2222-3333-4444-555555555555', 'r1', '10.1.2.3');
                SELECT audit.append('key.revoke', 200, NULL, 'admin', '66666666-2222-3333-4444-555555555555', 'k2', '127.0.0.1');
                UPDATE audit.entries SET actor = NULL, tenant_id = NULL, target = NULL, remote_addr = NULL, redacted_at = now()
                WHERE tenant_id = '11111111-2222-3333-4444-555555555555';
                """);

            using var upgraded = BuildHost(connectionString, Path.Combine(TestPaths.RepoRoot, "db"));
            await upgraded.Services.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
            // The redaction of then is recorded by an entry of the upgrade, which its rows name.
            Assert.Equal("4 audit.redact 1", await ScalarAsync(connectionString, "SELECT seq || ' ' || action || ' ' || subject_alg FROM audit.entries WHERE seq = 4"));
            Assert.Equal("4 4", await ScalarAsync(connectionString, "SELECT min(redacted_by) || ' ' || max(redacted_by) FROM audit.entries WHERE redacted_at IS NOT NULL"));
            await ExecuteAsync(connectionString,
                $"SELECT audit.append('result.read', 200, NULL, 'admin', NULL, 'r2', '127.0.0.1', '\\x{new string('a', 64)}', 2::smallint)");

            var output = new StringWriter();
            var error = new StringWriter();
            var exit = await ComplianceModule.VerifyAuditAsync(upgraded.Services, null, output, error, CancellationToken.None);
            // The new entry links to the old ones; its digest was not made with the key, and that shows.
            Assert.True(exit == 1, output + error.ToString());
            Assert.Contains("problem: seq 5: subject_changed", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("problem: seq 1", output.ToString(), StringComparison.Ordinal);
            await ExecuteAsync(connectionString, "ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only; DELETE FROM audit.entries WHERE seq = 5");
            output = new StringWriter();
            Assert.Equal(0, await ComplianceModule.VerifyAuditAsync(upgraded.Services, null, output, error, CancellationToken.None));
            Assert.Contains("audit verify: valid, 4 entries", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            before.Delete(recursive: true);
            await JobsApiFactory.DropDatabaseAsync(baseConnection, database);
        }
    }

    private static IHost BuildHost(string connectionString, string migrations)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = connectionString,
            ["Database:MigrationsPath"] = migrations,
            ["Compliance:AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
        });
        builder.AddDatabase();
        builder.AddAuditVerification();
        return builder.Build();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
