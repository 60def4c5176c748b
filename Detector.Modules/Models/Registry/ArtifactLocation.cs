namespace Detector.Modules.Models.Registry;

/// <summary>
/// Where a version's artifact lives, as the registry records it: <c>shared:&lt;file&gt;</c> in
/// <c>Models:Directory</c> (the seed models, read-only) or <c>store:&lt;file&gt;</c> in
/// <c>Models:ArtifactDirectory</c>. Only the file name is recorded, so each instance resolves it
/// against its own configured folders, and nothing outside them can be named.
/// </summary>
internal static class ArtifactLocation
{
    public const string Shared = "shared:";
    public const string Store = "store:";

    /// <summary>Normalises a client's artifact (<c>file.onnx</c> means <c>store:file.onnx</c>); null when it names no plain file.</summary>
    public static string? Normalise(string? artifact)
    {
        if (string.IsNullOrWhiteSpace(artifact))
        {
            return null;
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
        location.StartsWith(Shared, StringComparison.Ordinal)
            ? Path.Combine(Path.GetFullPath(options.Directory), location[Shared.Length..])
            : Path.Combine(Path.GetFullPath(options.ArtifactDirectory), location[Store.Length..]);
}
