using Detector.Modules.Common;

namespace Detector.Modules.Evaluation.RunEvaluation;

/// <summary>
/// Datasets are named relative to <see cref="EvaluationOptions.DatasetRoot"/> and must resolve
/// inside it: an admin key reads datasets, not the server's file system.
/// </summary>
internal static class DatasetPaths
{
    public static string Resolve(EvaluationOptions options, string relative)
    {
        var root = Path.GetFullPath(options.DatasetRoot);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var inside = full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (Path.IsPathRooted(relative) || !inside)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.DatasetNotFound, "Dataset outside the dataset root", $"'{relative}' must name a path inside Evaluation:DatasetRoot, relative to it.");
        }

        return full;
    }
}
