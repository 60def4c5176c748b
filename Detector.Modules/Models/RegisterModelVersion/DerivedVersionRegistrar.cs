using System.Text.Json;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.UploadModelArtifact;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Models.RegisterModelVersion;

/// <summary>
/// A derived version goes through the same two steps as one registered over the admin API, the
/// artifact upload and the registration, with the source version's manifest as stored: the
/// variant keeps its model's contract by construction.
/// </summary>
internal sealed class DerivedVersionRegistrar(NpgsqlDataSource dataSource, UploadModelArtifactHandler artifacts, RegisterModelVersionHandler registration, IAuditTrail audit, ILogger<DerivedVersionRegistrar> logger) : IModelVersionRegistrar
{
    public async Task SetCalibrationAsync(string model, string version, ScoreCalibration calibration, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE models.versions SET calibration = @json::jsonb WHERE model = @model AND version = @version",
            new { model, version, json = JsonSerializer.Serialize(calibration, ScoreCalibration.Json) }, tx, cancellationToken: ct));
        if (updated == 0)
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{model}' has no version '{version}'.");
        }

        await Registry.RegistryStore.NotifyAsync(connection, tx, model, ct);
        await tx.CommitAsync(ct);
        audit.Record(new AuditEvent("model.version.calibrate", Target: $"{model}@{version}", Status: StatusCodes.Status200OK, Detail: FormattableString.Invariant($"T={calibration.Temperature:F3} classes={calibration.ClassTemperatures.Count} ece={calibration.EceBefore:F4}->{calibration.EceAfter:F4} by {actor}")), logger);
    }

    public async Task RecordTrainingRunAsync(string model, string version, Guid runId, string recordSha256, CancellationToken ct)
    {
        // Metrics only: the manifest and the artifact, what instances load, never change.
        var run = JsonSerializer.Serialize(new[] { new Dictionary<string, string> { ["id"] = runId.ToString(), ["record_sha256"] = recordSha256 } });
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE models.versions
            SET metrics = jsonb_set(COALESCE(metrics, '{}'::jsonb), '{training_runs}', COALESCE(metrics->'training_runs', '[]'::jsonb) || @run::jsonb)
            WHERE model = @model AND version = @version
              AND NOT COALESCE(metrics->'training_runs', '[]'::jsonb) @> @run::jsonb
            """, new { model, version, run }, cancellationToken: ct));
        if (updated == 0 && !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM models.versions WHERE model = @model AND version = @version)", new { model, version }, cancellationToken: ct)))
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{model}' has no version '{version}'.");
        }
    }

    public async Task<string> RegisterDerivedAsync(DerivedVersion version, string actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(version);
        string? manifest;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            manifest = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                "SELECT manifest::text FROM models.versions WHERE model = @Model AND version = @SourceVersion",
                new { version.Model, version.SourceVersion }, cancellationToken: ct));
        }

        if (manifest is null)
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{version.Model}' has no version '{version.SourceVersion}'.");
        }

        var stored = await artifacts.StoreAsync(version.Artifact, actor, ct);
        using var document = JsonDocument.Parse(manifest);
        var request = new RegisterVersionRequest(stored.Artifact, document.RootElement.Clone(), version.Version, stored.Sha256, version.Precision, version.Metrics);
        var view = await registration.HandleAsync(version.Model, request, actor, ct);
        return view.Version;
    }
}
