using System.Diagnostics;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>
/// `Detector.Web images ...` is a command line with help for every command and option, answered
/// before anything connects: asking for help needs no database.
/// </summary>
public sealed class ImagesCommandLineTests
{
    [Theory]
    [InlineData(new[] { "images", "--help" }, new[] { "copy", "index", "seal-legacy", "rewrap-keys" })]
    [InlineData(new[] { "images", "copy", "--help" }, new[] { "--from", "--from-path", "--to", "--to-path", "--parallel", "postgres|s3|local" })]
    [InlineData(new[] { "images", "index", "--help" }, new[] { "orphan sweep" })]
    [InlineData(new[] { "images", "seal-legacy", "-h" }, new[] { "plaintext images" })]
    [InlineData(new[] { "images", "rewrap-keys", "--help" }, new[] { "master key" })]
    public async Task Every_images_command_explains_itself_without_a_database(string[] args, string[] explained)
    {
        var (code, output) = await RunAsync(args);

        Assert.True(code == 0, output);
        foreach (var text in explained)
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bad_arguments_exit_2_naming_the_problem_before_connecting()
    {
        var (code, output) = await RunAsync("images", "copy", "--from", "local", "--to", "postgres", "--parallel", "65");

        Assert.Equal(2, code);
        Assert.StartsWith("images: --parallel is 1 to 64", output, StringComparison.Ordinal);
        Assert.Contains("--to-path", output, StringComparison.Ordinal); // and the command's usage
    }

    /// <summary>Runs the real entry point against a database that cannot be reached; returns its exit code and what it printed.</summary>
    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Detector.Web.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none;Timeout=2";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the command exits by itself");
        return (process.ExitCode, await stderr + await stdout);
    }
}
