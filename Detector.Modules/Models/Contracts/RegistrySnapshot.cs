namespace Detector.Modules.Models.Contracts;

/// <summary>Well-known alias names; any other name is allowed too.</summary>
public static class ModelAliases
{
    /// <summary>What <c>model=name</c> is served by.</summary>
    public const string Production = "production";

    public const string Canary = "canary";

    public const string Shadow = "shadow";
}

/// <summary>A version's lifecycle: active versions are loaded, archived ones unloaded, refused ones failed their artifact check.</summary>
public enum VersionState
{
    Active,
    Archived,
    Refused,
}

/// <summary>One registered version: its manifest (with artifact path and sha256) and its registry record.</summary>
public sealed record ModelVersion(ModelManifest Manifest, VersionState State, string? StateReason, long SizeBytes, string RegisteredBy, DateTimeOffset RegisteredAt)
{
    public string Version => Manifest.Version;
}

/// <summary>A model name with its versions (oldest first), aliases (alias → version) and the traffic shares of its aliases.</summary>
public sealed record RegisteredModel(string Name, IReadOnlyList<ModelVersion> Versions, IReadOnlyDictionary<string, string> Aliases)
{
    /// <summary>Alias → its share of unpinned traffic, for aliases that take any; production takes the rest.</summary>
    public IReadOnlyDictionary<string, double> Shares { get; init; } = new Dictionary<string, double>();

    public ModelVersion? Version(string version) => Versions.FirstOrDefault(v => v.Version == version);

    /// <summary>The version a token names: a version label, else an alias.</summary>
    public ModelVersion? Resolve(string versionOrAlias) =>
        Version(versionOrAlias) ?? (Aliases.TryGetValue(versionOrAlias, out var v) ? Version(v) : null);

    public ModelVersion? Production => Aliases.TryGetValue(ModelAliases.Production, out var v) ? Version(v) : null;

    /// <summary>The share of unpinned traffic each variant takes, production the rest.</summary>
    public IReadOnlyDictionary<string, double> Traffic()
    {
        var traffic = Shares.Where(s => s.Value > 0).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        traffic[ModelAliases.Production] = Math.Max(0, 1 - traffic.Values.Sum());
        return traffic;
    }
}

/// <summary>An immutable read of the registry; <see cref="Generation"/> grows with every read.</summary>
public sealed class RegistrySnapshot(IReadOnlyList<RegisteredModel> models, long generation)
{
    private readonly Dictionary<string, RegisteredModel> _byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);

    public IReadOnlyList<RegisteredModel> Models { get; } = models;

    public long Generation { get; } = generation;

    public RegisteredModel? Model(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Every version an instance should hold loaded: the active ones.</summary>
    public IEnumerable<ModelVersion> Active => Models.SelectMany(m => m.Versions).Where(v => v.State == VersionState.Active);
}

/// <summary>What an instance reports of a version it could not load (the Inference module tells the registry).</summary>
public interface IModelVersionReports
{
    /// <summary>Marks the version refused (its artifact failed the sha256 check): no instance serves it again. Never throws.</summary>
    Task RefuseAsync(string model, string version, string reason, CancellationToken cancellationToken);
}
