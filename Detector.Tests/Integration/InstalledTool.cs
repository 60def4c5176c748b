using System.Diagnostics;

namespace Detector.Tests.Integration;

/// <summary>
/// A command-line tool deploy/bootstrap.sh installs (promtool, shellcheck), found on PATH and run
/// with a time limit. A machine without it fails the tests that need it: skipping would let broken
/// files pass unseen on exactly the machines that never check them.
/// </summary>
internal static class InstalledTool
{
    /// <summary>The tool's path; fails the test with <paramref name="install"/> as the remedy when it is not on PATH.</summary>
    public static string Find(string name, string install)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"{name} was not found on PATH: {install}");
        return found!;
    }

    /// <summary>Runs <paramref name="executable"/> in <paramref name="workingDirectory"/> and returns its exit code and output (stdout, then stderr).</summary>
    public static async Task<(int Code, string Output)> RunAsync(string executable, string workingDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(executable)
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
            throw new TimeoutException($"{Path.GetFileName(executable)} {string.Join(' ', start.ArgumentList)} did not finish within 2 minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
