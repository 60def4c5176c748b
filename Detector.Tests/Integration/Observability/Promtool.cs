using System.Diagnostics;

namespace Detector.Tests.Integration.Observability;

/// <summary>
/// Runs Prometheus's <c>promtool</c> (Debian's <c>prometheus</c> package, installed by
/// deploy/bootstrap.sh). A machine without it fails the tests that need it: skipping would let
/// broken rules pass unseen on exactly the machines that never check them.
/// </summary>
internal static class Promtool
{
    public static readonly string ObservabilityDir = Path.Combine(TestPaths.RepoRoot, "deploy", "observability");
    public static readonly string PrometheusDir = Path.Combine(ObservabilityDir, "prometheus");
    public static readonly string AlertsFile = Path.Combine(PrometheusDir, "alerts.yml");
    public static readonly string DashboardFile = Path.Combine(ObservabilityDir, "grafana", "dashboards", "detector.json");

    public static string Executable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "promtool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("promtool was not found on PATH: run deploy/bootstrap.sh (it installs Debian's prometheus package, which provides promtool).");
        return "";
    }

    /// <summary>Runs promtool in <paramref name="workingDirectory"/> (rule files are named relative to it) and returns its exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Executable())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"promtool {string.Join(' ', args)} did not finish within 2 minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
