using System.Text.Json;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Models.RegisterModelVersion;

/// <summary>
/// Registers a version: hashes its artifact (the sha256 every instance checks on every load),
/// reads its manifest through the same checks as a seed's, and inserts it active, so every
/// instance loads and warms it in the background. No alias moves: it takes traffic only when an
/// alias or a pinned request names it.
/// </summary>
internal sealed partial class RegisterModelVersionHandler(NpgsqlDataSource dataSource, IOptions<ModelsOptions> options, IAuditTrail audit, ILogger<RegisterModelVersionHandler> logger)
{
    public async Task<ModelVersionView> HandleAsync(string model, RegisterVersionRequest request, string actor, CancellationToken ct)
    {
        if (!RegistryNames.Model().IsMatch(model))
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Invalid model name", "A model name is 1-64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit.");
        }

        var artifact = ArtifactLocation.Normalise(request.Artifact)!;
        var path = ArtifactLocation.Resolve(artifact, options.Value);
        var (sha256, size) = await HashAsync(artifact, path, ct)
            ?? throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.ArtifactNotFound, "Artifact not found", $"No artifact '{artifact}' in the artifact store.");
        if (request.Sha256 is { } expected && expected != sha256)
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.ArtifactMismatch, "Artifact does not match", $"The artifact's sha256 is {sha256}, not the {expected} given.");
        }

        var version = request.Version ?? sha256[..12];
        var precision = request.Precision ?? "fp32";
        ManifestDocument doc;
        ModelManifest manifest;
        try
        {
            doc = request.Manifest!.Value.Deserialize(ManifestJsonContext.Default.ManifestDocument)!;
            manifest = ManifestReader.Read(doc, model, version, path, sha256, precision, "request");
        }
        catch (Exception ex) when (ex is JsonException or InvalidManifestException)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.InvalidManifest, "Invalid manifest", ex.Message);
        }

        doc.Name = model;
        var row = new VersionRow(model, version, artifact, sha256, size, JsonSerializer.Serialize(doc, ManifestJsonContext.Default.ManifestDocument),
            precision, request.Metrics is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null, actor);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var aliasClash = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM models.aliases WHERE model = @model AND alias = @version)", new { model, version }, tx, cancellationToken: ct));
        if (aliasClash || !await RegistryStore.InsertVersionAsync(connection, tx, row, ct))
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.VersionExists, "Version exists", $"Model '{model}' already has a version or alias '{version}'; give another version label.");
        }

        await RegistryStore.NotifyAsync(connection, tx, model, ct);
        await tx.CommitAsync(ct);
        LogRegistered(logger, model, version, sha256, artifact, actor);
        audit.Record(new AuditEvent("model.version.register", Target: $"{model}@{version}", Status: StatusCodes.Status201Created, Detail: $"sha256={sha256} precision={precision}"), logger);
        return ModelVersionView.Of(new ModelVersion(manifest, VersionState.Active, null, row.SizeBytes, actor, DateTimeOffset.UtcNow), new Dictionary<string, string>());
    }

    /// <summary>The artifact's sha256 and size: a <c>db:</c> artifact's from its row (hashed when it was stored), a file's by reading it.</summary>
    private async Task<(string Sha256, long Size)?> HashAsync(string artifact, string path, CancellationToken ct)
    {
        if (ArtifactLocation.DatabaseSha256(artifact) is { } stored)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var size = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
                "SELECT size_bytes FROM models.artifacts WHERE sha256 = @stored", new { stored }, cancellationToken: ct));
            return size is { } s ? (stored, s) : null;
        }

        return File.Exists(path) ? (await Task.Run(() => SeedManifests.Sha256Of(path), ct), new FileInfo(path).Length) : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered {Model}@{Version} (sha256 {Sha256}, artifact {Artifact}) by {Actor}")]
    private static partial void LogRegistered(ILogger logger, string model, string version, string sha256, string artifact, string actor);
}
