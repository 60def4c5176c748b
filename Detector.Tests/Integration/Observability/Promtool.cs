namespace Detector.Tests.Integration.Observability;

/// <summary>
/// Runs Prometheus's <c>promtool</c> (Debian's <c>prometheus</c> package, installed by
/// deploy/bootstrap.sh) through <see cref="InstalledTool"/>.
/// </summary>
internal static class Promtool
{
    public static readonly string ObservabilityDir = Path.Combine(TestPaths.RepoRoot, "deploy", "observability");
    public static readonly string PrometheusDir = Path.Combine(ObservabilityDir, "prometheus");
    public static readonly string AlertsFile = Path.Combine(PrometheusDir, "alerts.yml");
    public static readonly string DashboardFile = Path.Combine(ObservabilityDir, "grafana", "dashboards", "detector.json");

    public static string Executable() =>
        InstalledTool.Find("promtool", "run deploy/bootstrap.sh (it installs Debian's prometheus package, which provides promtool).");

    /// <summary>Runs promtool in <paramref name="workingDirectory"/> (rule files are named relative to it) and returns its exit code and output.</summary>
    public static Task<(int Code, string Output)> RunAsync(string workingDirectory, params string[] args) =>
        InstalledTool.RunAsync(Executable(), workingDirectory, args);
}
