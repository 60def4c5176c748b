using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Models.Registry;

/// <summary>A version as the API shows it: its registry record and the aliases that point at it.</summary>
internal sealed record ModelVersionView(
    string Model,
    string Version,
    string Sha256,
    long SizeBytes,
    string Precision,
    string Family,
    int InputWidth,
    int InputHeight,
    string State,
    string? StateReason,
    string RegisteredBy,
    DateTimeOffset RegisteredAt,
    IReadOnlyList<string> Aliases)
{
    public static ModelVersionView Of(ModelVersion v, IReadOnlyDictionary<string, string> aliases) => new(
        v.Manifest.Name,
        v.Version,
        v.Manifest.Sha256,
        v.SizeBytes,
        v.Manifest.Precision,
        v.Manifest.Family.ToString().ToLowerInvariant(),
        v.Manifest.Preprocess.Width,
        v.Manifest.Preprocess.Height,
        v.State.ToString().ToLowerInvariant(),
        v.StateReason,
        v.RegisteredBy,
        v.RegisteredAt,
        [.. aliases.Where(a => a.Value == v.Version).Select(a => a.Key).Order(StringComparer.Ordinal)]);
}

/// <summary>Names the registry accepts (the same patterns as db/0015's checks).</summary>
internal static partial class RegistryNames
{
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    public static partial System.Text.RegularExpressions.Regex Model();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,39}$")]
    public static partial System.Text.RegularExpressions.Regex Version();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_-]{0,31}$")]
    public static partial System.Text.RegularExpressions.Regex Alias();
}
