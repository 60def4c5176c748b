using System.Text.Json;
using Dapper;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Models.Registry;

/// <summary>
/// The registry's rows (schema <c>models</c>, db/0015). Every change is one transaction that
/// ends with NOTIFY detector_models, so instances re-read it once it is committed; reads return
/// whole models, versions oldest first.
/// </summary>
internal sealed partial class RegistryStore(NpgsqlDataSource dataSource, IOptions<ModelsOptions> options, ILogger<RegistryStore> logger)
{
    public const string Channel = "detector_models";

    /// <summary>Registers each seed and points <c>production</c> at it, unless the registry already holds them.</summary>
    public async Task SeedAsync(IReadOnlyList<Seed> seeds, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var seed in seeds)
        {
            var row = new VersionRow(seed.Name, seed.Manifest.Version, seed.Artifact, seed.Manifest.Sha256, seed.SizeBytes, seed.ManifestJson, "fp32", null, "seed");
            await InsertVersionAsync(connection, tx, row, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                WITH moved AS (
                    INSERT INTO models.aliases (model, alias, version, moved_by) VALUES (@model, 'production', @version, 'seed')
                    ON CONFLICT DO NOTHING RETURNING model)
                INSERT INTO models.alias_history (model, alias, from_version, to_version, actor, reason)
                SELECT model, 'production', NULL, @version, 'seed', 'seed manifest registered at start-up' FROM moved
                """,
                new { model = seed.Name, version = seed.Manifest.Version }, tx, cancellationToken: ct));
        }

        await NotifyAsync(connection, tx, "*", ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Inserts the version (and its model); false when the model already has that version label.</summary>
    public static async Task<bool> InsertVersionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, VersionRow row, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO models.models (name) VALUES (@Model) ON CONFLICT DO NOTHING", row, tx, cancellationToken: ct));
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO models.versions (model, version, artifact, sha256, size_bytes, manifest, precision, metrics, registered_by)
            VALUES (@Model, @Version, @Artifact, @Sha256, @SizeBytes, @Manifest::jsonb, @Precision, @Metrics::jsonb, @RegisteredBy)
            ON CONFLICT DO NOTHING
            """,
            row, tx, cancellationToken: ct)) == 1;
    }

    public static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string model, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@channel, @model)", new { channel = Channel, model }, tx, cancellationToken: ct));

    /// <summary>The whole registry: every model, its versions (oldest first) and its aliases.</summary>
    public async Task<IReadOnlyList<RegisteredModel>> ReadAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var versions = await connection.QueryAsync<StoredVersion>(new CommandDefinition(
            """
            SELECT model, version, artifact, sha256, size_bytes AS SizeBytes, manifest::text AS Manifest, precision,
                   registered_by AS RegisteredBy, registered_at AS RegisteredAt, state, state_reason AS StateReason,
                   calibration::text AS Calibration
            FROM models.versions ORDER BY model, registered_at, version
            """,
            cancellationToken: ct));
        var aliases = (await connection.QueryAsync<(string Model, string Alias, string Version, double Share)>(new CommandDefinition(
            "SELECT model, alias, version, share FROM models.aliases", cancellationToken: ct))).ToLookup(a => a.Model);

        var models = new List<RegisteredModel>();
        foreach (var group in versions.GroupBy(v => v.Model))
        {
            var list = new List<ModelVersion>();
            foreach (var v in group)
            {
                if (ToVersion(v) is { } version)
                {
                    list.Add(version);
                }
            }

            models.Add(new RegisteredModel(group.Key, list, aliases[group.Key].ToDictionary(a => a.Alias, a => a.Version, StringComparer.Ordinal))
            {
                Shares = aliases[group.Key].Where(a => a.Share > 0).ToDictionary(a => a.Alias, a => a.Share, StringComparer.Ordinal),
            });
        }

        return models;
    }

    private ModelVersion? ToVersion(StoredVersion v)
    {
        try
        {
            var doc = JsonSerializer.Deserialize(v.Manifest, ManifestJsonContext.Default.ManifestDocument)!;
            var path = ArtifactLocation.Resolve(v.Artifact, options.Value);
            var manifest = ManifestReader.Read(doc, v.Model, v.Version, path, v.Sha256.Trim(), v.Precision, $"{v.Model}@{v.Version}") with
            {
                Calibration = v.Calibration is null ? null : JsonSerializer.Deserialize<ScoreCalibration>(v.Calibration, ScoreCalibration.Json),
            };
            var state = Enum.Parse<VersionState>(v.State, ignoreCase: true);
            return new ModelVersion(manifest, state, v.StateReason, v.SizeBytes, v.RegisteredBy, new DateTimeOffset(DateTime.SpecifyKind(v.RegisteredAt, DateTimeKind.Utc)));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Registered through the same checks, so this is a row edited by hand: left out, not served.
            LogUnreadable(logger, v.Model, v.Version, ex);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Registered version {Model}@{Version} cannot be read and is not served")]
    private static partial void LogUnreadable(ILogger logger, string model, string version, Exception exception);

    private sealed record StoredVersion(string Model, string Version, string Artifact, string Sha256, long SizeBytes, string Manifest, string Precision, string RegisteredBy, DateTime RegisteredAt, string State, string? StateReason, string? Calibration);
}

/// <summary>A version row as inserted.</summary>
internal sealed record VersionRow(string Model, string Version, string Artifact, string Sha256, long SizeBytes, string Manifest, string Precision, string? Metrics, string RegisteredBy);
