namespace Detector.Tests;

/// <summary>
/// Locates the repository and the shared assets (models, datasets) that live beside it as ../shared,
/// from wherever the test runner put the binaries.
/// </summary>
internal static class TestPaths
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string Shared = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static readonly string Models = Path.Combine(Shared, "models");
    public static readonly string Samples = Path.Combine(Shared, "datasets", "samples");
    public static readonly string Coco = Path.Combine(Shared, "datasets", "coco-ccby");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Detector.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Detector.sln above {AppContext.BaseDirectory}.");
    }
}
