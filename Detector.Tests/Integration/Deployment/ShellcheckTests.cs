namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// Every shell script of the repository passes Debian's <c>shellcheck</c> at every severity, with
/// the repository's .shellcheckrc (sourced files followed from each script's folder). A machine
/// without shellcheck fails here rather than skipping: deploy/bootstrap.sh installs it.
/// </summary>
public sealed class ShellcheckTests
{
    /// <summary>Folders never searched: build output, dependencies, local state, git.</summary>
    private static readonly HashSet<string> Pruned = new(StringComparer.Ordinal) { ".git", "bin", "obj", "node_modules", ".run", ".pgdata", ".data", "results" };

    [Fact]
    public async Task Every_shell_script_passes_shellcheck()
    {
        var scripts = ShellScripts(TestPaths.RepoRoot);
        Assert.Superset(new HashSet<string>(["run.sh", "test.sh", ".ci/run", "detector", "deploy/dev-env.sh", "bench/run.sh"]), scripts.ToHashSet());

        var (code, output) = await RunAsync(TestPaths.RepoRoot, ["-f", "gcc", .. scripts]);

        Assert.True(code == 0, $"shellcheck found problems (exit {code}):\n{output}");
    }

    [Fact]
    public async Task Shellcheck_reports_a_broken_script_with_its_line_and_code()
    {
        var dir = Directory.CreateTempSubdirectory("detector-shellcheck-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "broken.sh"), "#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $1/cache\n");
            Assert.Equal(["broken.sh"], ShellScripts(dir.FullName));

            var (code, output) = await RunAsync(dir.FullName, ["-f", "gcc", "broken.sh"]);

            Assert.NotEqual(0, code);
            Assert.Contains("broken.sh:3:8: note: Double quote to prevent globbing and word splitting. [SC2086]", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Paths (relative, with /) of *.sh files and of files that start with a sh/bash shebang or a shellcheck shell directive.</summary>
    private static List<string> ShellScripts(string root)
    {
        var found = new List<string>();
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out var dir))
        {
            foreach (var sub in Directory.EnumerateDirectories(dir).Where(d => !Pruned.Contains(Path.GetFileName(d))))
            {
                pending.Push(sub);
            }

            found.AddRange(Directory.EnumerateFiles(dir).Where(IsShellScript).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')));
        }

        return [.. found.Order(StringComparer.Ordinal)];
    }

    private static bool IsShellScript(string file)
    {
        if (file.EndsWith(".sh", StringComparison.Ordinal))
        {
            return true;
        }

        using var reader = new StreamReader(file);
        var first = reader.ReadLine() ?? "";
        return (first.StartsWith("#!", StringComparison.Ordinal) && (first.EndsWith("bash", StringComparison.Ordinal) || first.EndsWith("/sh", StringComparison.Ordinal)))
            || first.StartsWith("# shellcheck shell=", StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output)> RunAsync(string workingDirectory, string[] args) =>
        InstalledTool.RunAsync(InstalledTool.Find("shellcheck", "run deploy/bootstrap.sh (it installs Debian's shellcheck package)."), workingDirectory, args);
}
