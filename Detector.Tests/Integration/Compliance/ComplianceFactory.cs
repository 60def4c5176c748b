using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.Compliance;

/// <summary>The service's clock, movable by tests: real time plus an offset (real timers keep running).</summary>
public sealed class MovableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>The jobs host (real PostgreSQL, real models) with a movable clock and SQL helpers for scanning the database.</summary>
public class ComplianceFactory : JobsApiFactory
{
    public MovableClock Clock { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        // Retention is run by the tests themselves; its timer is still registered (next run: 1 January).
        new("Compliance:RetentionCron", "0 0 1 1 *"),
        new("Jobs:Webhooks:SigningSecret", "whsec-compliance-test-0123456789abcdef"),
        // The labeling sampler runs when a test runs a round (SamplerRound), so no item appears unasked.
        new("Labeling:Sampler:Enabled", "false"),
        new("Labeling:Sampler:SettleSeconds", "0"),
        new("Labeling:Strategies:Feedback:Enabled", "true"),
        new("Labeling:Strategies:LowConfidence:Enabled", "false"),
        new("Labeling:Strategies:RareClass:Enabled", "false"),
        new("Labeling:Strategies:Random:Enabled", "false"),
        new("Labeling:Strategies:ShadowDisagreement:Enabled", "false"),
    ];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    public async Task<List<T>> QueryAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetFieldValue<T>(0));
        }

        return rows;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Every row of every table of every schema but PostgreSQL's own (hangfire's included) whose
    /// text form contains one of <paramref name="needles"/>: "schema.table: needle" per hit.
    /// </summary>
    public async Task<List<string>> ScanAllTablesAsync(IReadOnlyCollection<string> needles)
    {
        var tables = new List<string>();
        foreach (var (schema, table) in await TablesAsync())
        {
            tables.Add($"{schema}.{table}");
        }

        var hits = new List<string>();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand(
                $"SELECT n FROM unnest(@needles) AS n WHERE EXISTS (SELECT 1 FROM {table} t WHERE strpos(lower(t::text), lower(n)) > 0)", connection);
            command.Parameters.AddWithValue("needles", needles.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                hits.Add($"{table}: {reader.GetString(0)}");
            }
        }

        return hits;
    }

    public async Task<List<(string Schema, string Table)>> TablesAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT quote_ident(table_schema), quote_ident(table_name) FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%'
            ORDER BY 1, 2
            """, connection);
        var tables = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tables.Add((reader.GetString(0), reader.GetString(1)));
        }

        return tables;
    }
}
