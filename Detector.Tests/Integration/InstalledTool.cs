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

    /// <summary>Runs <paramref name="executable"/> in <paramref name="workingDirectory"/> (at most 2 minutes) and returns its exit code and output (stdout, then stderr).</summary>
    public static Task<(int Code, string Output)> RunAsync(string executable, string workingDirectory, IEnumerable<string> args) =>
        ChildProcess.RunAsync(executable, args, TimeSpan.FromMinutes(2), workingDirectory: workingDirectory);
}
