using System.Text.Json;

namespace Detector.Modules.Models.Contracts;

/// <summary>A version made from another one (a compressed variant): same pre- and post-processing contract, new weights.</summary>
/// <param name="Model">The model both versions belong to.</param>
/// <param name="SourceVersion">The registered version whose manifest the new one shares.</param>
/// <param name="Version">The new version's label; null: the first 12 hex digits of its sha256.</param>
/// <param name="Precision"><c>fp32</c>, <c>fp16</c> or <c>int8</c>.</param>
/// <param name="Artifact">The ONNX bytes, stored in PostgreSQL so every instance can load them.</param>
/// <param name="Metrics">What the maker measured (a JSON object), kept with the version.</param>
public sealed record DerivedVersion(string Model, string SourceVersion, string? Version, string Precision, byte[] Artifact, JsonElement Metrics);

/// <summary>Registers versions made by the service's own commands (the admin API registers uploaded ones).</summary>
public interface IModelVersionRegistrar
{
    /// <summary>Stores the artifact and registers the version, active and without alias; answers its label.</summary>
    Task<string> RegisterDerivedAsync(DerivedVersion version, string actor, CancellationToken ct);

    /// <summary>Keeps a version's score calibration with it (replacing any earlier one); every instance reads it within seconds.</summary>
    Task SetCalibrationAsync(string model, string version, ScoreCalibration calibration, string actor, CancellationToken ct);

    /// <summary>
    /// Names, in the version's metrics (<c>training_runs</c>: [{id, record_sha256}]), a training
    /// run that produced it; recording the same run again changes nothing.
    /// </summary>
    Task RecordTrainingRunAsync(string model, string version, Guid runId, string recordSha256, CancellationToken ct);
}

/// <summary>What the registry keeps with a version beyond its manifest, for the modules that trace where it came from.</summary>
public interface IModelVersionMetadata
{
    /// <summary>
    /// The version's metrics as registered (a JSON object; a compressed variant's carries
    /// <c>source_version</c> and <c>source_sha256</c>), or null when it has none or is unknown.
    /// </summary>
    Task<JsonElement?> MetricsAsync(string model, string version, CancellationToken ct);
}
