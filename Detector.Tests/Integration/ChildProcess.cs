using System.Diagnostics;

namespace Detector.Tests.Integration;

/// <summary>
/// The one way the tests run a program (the service's command lines, promtool, shellcheck,
/// chromium): arguments passed as a list, output read while it runs, and a time limit after which
/// its whole tree is killed and the test fails.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Its exit code and output (stdout, then stderr); a <see cref="TimeoutException"/> past <paramref name="timeout"/>.</summary>
    public static async Task<(int Code, string Output)> RunAsync(
        string executable,
        IEnumerable<string> args,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(executable)} {string.Join(' ', start.ArgumentList)} ran past {timeout.TotalSeconds} s: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
