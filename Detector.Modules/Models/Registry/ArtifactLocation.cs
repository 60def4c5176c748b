namespace Detector.Modules.Models.Registry;

/// <summary>
/// Where a version's artifact lives, as the registry records it: <c>shared:&lt;file&gt;</c> in
/// <c>Models:Directory</c> (the seed models, read-only), <c>store:&lt;file&gt;</c> in
/// <c>Models:ArtifactDirectory</c> (one node's folder, or a volume every instance mounts), or
/// <c>db:&lt;sha256&gt;</c> in PostgreSQL (<c>models.artifacts</c>), which every instance reads
/// into its local copy under <c>Models:ArtifactCacheDirectory</c>. Only a file name or a hash is
/// recorded, so each instance resolves it against its own configured folders, and nothing outside
/// them can be named.
/// </summary>
internal static class ArtifactLocation
{
    public const string Shared = "shared:";
    public const string Store = "store:";
    public const string Database = "db:";

    /// <summary>Normalises a client's artifact (<c>file.onnx</c> means <c>store:file.onnx</c>); null when it names no plain file.</summary>
    public static string? Normalise(string? artifact)
    {
        if (string.IsNullOrWhiteSpace(artifact))
        {
            return null;
        }

        if (artifact.StartsWith(Database, StringComparison.Ordinal))
        {
            var sha = artifact[Database.Length..];
            return sha.Length == 64 && sha.All(char.IsAsciiHexDigitLower) ? artifact : null;
        }

        var (prefix, file) = artifact.StartsWith(Shared, StringComparison.Ordinal) ? (Shared, artifact[Shared.Length..])
            : artifact.StartsWith(Store, StringComparison.Ordinal) ? (Store, artifact[Store.Length..])
            : (Store, artifact);
        var plain = file.Length is > 0 and <= 200
            && file == Path.GetFileName(file)
            && file is not ("." or "..")
            && file.IndexOfAny(Path.GetInvalidFileNameChars()) < 0
            && file.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        return plain ? prefix + file : null;
    }

    /// <summary>The local path of a normalised location.</summary>
    public static string Resolve(string location, ModelsOptions options) =>
        location.StartsWith(Shared, StringComparison.Ordinal) ? Path.Combine(Path.GetFullPath(options.Directory), location[Shared.Length..])
        : location.StartsWith(Database, StringComparison.Ordinal) ? Path.Combine(Path.GetFullPath(options.ArtifactCacheDirectory), location[Database.Length..] + ".onnx")
        : Path.Combine(Path.GetFullPath(options.ArtifactDirectory), location[Store.Length..]);

    /// <summary>The sha256 a <c>db:</c> location names, or null for a file.</summary>
    public static string? DatabaseSha256(string location) =>
        location.StartsWith(Database, StringComparison.Ordinal) ? location[Database.Length..] : null;
}
