namespace Detector.Web;

/// <summary>
/// The command lines the one binary runs instead of the service (<c>Detector.Web migrate</c>, ...),
/// by their first argument; anything else starts the service.
/// </summary>
internal static class Commands
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> ByName = new(StringComparer.Ordinal)
    {
        ["eval"] = EvalCommand.RunAsync,
        ["images"] = ImagesCommand.RunAsync,
        ["calibrate"] = CalibrateCommand.RunAsync,
        ["export"] = ExportCommand.RunAsync,
        ["datasets"] = DatasetsCommand.RunAsync,
        ["migrate"] = MigrateCommand.RunAsync,
        ["audit"] = AuditCommand.RunAsync,
    };

    /// <summary>The named command's run, or null when <paramref name="args"/> name none.</summary>
    public static Task<int>? TryRun(string[] args) =>
        args is [var name, ..] && ByName.TryGetValue(name, out var run) ? run(args) : null;
}
