using Detector.Modules.Common;

namespace Detector.Modules.Datasets.ImportDatasetVersion;

/// <summary>
/// Imports name their files relative to <see cref="DatasetsOptions.ImportRoot"/> and must resolve
/// inside it: an admin key imports datasets, not the server's file system.
/// </summary>
internal static class ImportPaths
{
    public static string Resolve(DatasetsOptions options, string relative)
    {
        var root = Path.GetFullPath(options.ImportRoot);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var inside = full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (Path.IsPathRooted(relative) || !inside)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.DatasetNotFound, "Dataset outside the import root", $"'{relative}' must name a path inside Datasets:ImportRoot, relative to it.");
        }

        return full;
    }
}
