using System.Diagnostics;

namespace Detector.Tests.Integration;

public sealed class StartupValidationTests
{
    [Fact]
    public async Task Service_refuses_to_start_with_invalid_configuration_and_names_the_problems()
    {
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "Detector.Web.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Detector__AdminApiKey"] = "short";
        start.Environment["Database__ConnectionString"] = "";
        start.Environment["Inference__MaxBatchSize"] = "-1";
        start.Environment["Models__Directory"] = TestPaths.Models;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the service exits by itself");
        var output = await stdout + await stderr;

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("Invalid configuration", output, StringComparison.Ordinal);
        Assert.Contains("AdminApiKey", output, StringComparison.Ordinal);
        Assert.Contains("ConnectionString", output, StringComparison.Ordinal);
        Assert.Contains("MaxBatchSize", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_instances_with_the_local_image_folder_refuse_to_start_with_one_clear_line()
    {
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "Detector.Web.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Detector__AdminApiKey"] = "startup-test-admin-key-0123456789";
        start.Environment["Detector__ApiKeyHashSecret"] = "startup-test-hash-secret-0123456789abcdef";
        start.Environment["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none";
        start.Environment["Models__Directory"] = TestPaths.Models;
        start.Environment["ImageStore__Backend"] = "Local";
        start.Environment["Deployment__Instances"] = "3";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the service exits by itself");
        var lines = (await stdout + await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(1, process.ExitCode);
        var line = Assert.Single(lines, l => l.Contains("Invalid configuration", StringComparison.Ordinal));
        Assert.Contains("ImageStore:Backend is Local", line, StringComparison.Ordinal);
        Assert.Contains("Deployment:Instances is 3", line, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_s3_store_without_a_bucket_refuses_to_start_and_never_prints_its_secret()
    {
        const string Secret = "wJalrXUtnFEMI-startup-test-secret-do-not-print";
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "Detector.Web.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Detector__AdminApiKey"] = "startup-test-admin-key-0123456789";
        start.Environment["Detector__ApiKeyHashSecret"] = "startup-test-hash-secret-0123456789abcdef";
        start.Environment["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none";
        start.Environment["Models__Directory"] = TestPaths.Models;
        start.Environment["ImageStore__Backend"] = "S3";
        start.Environment["ImageStore__S3__ServiceUrl"] = "not a url";
        start.Environment["ImageStore__S3__AccessKeyId"] = "AKIASTARTUPTEST";
        start.Environment["ImageStore__S3__SecretAccessKey"] = Secret;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the service exits by itself");
        var output = await stdout + await stderr;

        Assert.Equal(1, process.ExitCode);
        var line = Assert.Single(output.Split('\n'), l => l.Contains("Invalid configuration", StringComparison.Ordinal));
        Assert.Contains("ImageStore:S3:Bucket is required", line, StringComparison.Ordinal);
        Assert.Contains("ImageStore:S3:ServiceUrl must be an absolute http(s) URL", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }
}
