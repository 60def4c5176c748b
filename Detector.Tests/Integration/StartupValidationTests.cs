namespace Detector.Tests.Integration;

public sealed class StartupValidationTests
{
    internal static readonly Dictionary<string, string> ValidBasics = new()
    {
        ["Tenancy__AdminApiKey"] = "startup-test-admin-key-0123456789",
        ["Tenancy__ApiKeyHashSecret"] = "startup-test-hash-secret-0123456789abcdef",
        ["ImageStore__Encryption__MasterKey"] = TestSecrets.ImageMasterKey,
        ["Compliance__AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
        ["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none",
    };

    [Fact]
    public async Task Service_refuses_to_start_with_invalid_configuration_and_names_the_problems()
    {
        var output = await StartAsync(new()
        {
            ["Tenancy__AdminApiKey"] = "short",
            ["Database__ConnectionString"] = "",
            ["Inference__MaxBatchSize"] = "-1",
        });

        Assert.Contains("Invalid configuration", output, StringComparison.Ordinal);
        Assert.Contains("AdminApiKey", output, StringComparison.Ordinal);
        Assert.Contains("ConnectionString", output, StringComparison.Ordinal);
        Assert.Contains("MaxBatchSize", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_instances_with_the_local_image_folder_refuse_to_start_with_one_clear_line()
    {
        var output = await StartAsync(new(ValidBasics)
        {
            ["ImageStore__Backend"] = "Local",
            ["Deployment__Instances"] = "3",
        });

        var line = Assert.Single(output.Split('\n'), l => l.Contains("Invalid configuration", StringComparison.Ordinal));
        Assert.Contains("ImageStore:Backend is Local", line, StringComparison.Ordinal);
        Assert.Contains("Deployment:Instances is 3", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_s3_store_without_a_bucket_refuses_to_start_and_never_prints_its_secret()
    {
        const string Secret = "wJalrXUtnFEMI-startup-test-secret-do-not-print";
        var output = await StartAsync(new(ValidBasics)
        {
            ["ImageStore__Backend"] = "S3",
            ["ImageStore__S3__ServiceUrl"] = "not a url",
            ["ImageStore__S3__AccessKeyId"] = "AKIASTARTUPTEST",
            ["ImageStore__S3__SecretAccessKey"] = Secret,
        });

        var line = Assert.Single(output.Split('\n'), l => l.Contains("Invalid configuration", StringComparison.Ordinal));
        Assert.Contains("ImageStore:S3:Bucket is required", line, StringComparison.Ordinal);
        Assert.Contains("ImageStore:S3:ServiceUrl must be an absolute http(s) URL", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_audit_subject_key_refuses_to_start_and_is_never_printed()
    {
        const string Key = "short-audit-key-do-not-print";
        var output = await StartAsync(new(ValidBasics) { ["Compliance__AuditSubjectKey"] = Key });

        var line = Assert.Single(output.Split('\n'), l => l.Contains("Invalid configuration", StringComparison.Ordinal));
        Assert.Contains("Compliance:AuditSubjectKey must be at least 32 characters", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, output, StringComparison.Ordinal);
    }

    /// <summary>Starts the real service with <paramref name="environment"/>; asserts it exits 1 by itself without a crash, and returns what it printed.</summary>
    internal static async Task<string> StartAsync(Dictionary<string, string> environment)
    {
        var settings = new Dictionary<string, string> { ["Models__Directory"] = TestPaths.Models, ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" };
        foreach (var (key, value) in environment)
        {
            settings[key] = value;
        }

        var (code, output) = await WebCommand.RunAsync([], settings, TimeSpan.FromMinutes(1));
        Assert.Equal(1, code);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        return output;
    }
}
