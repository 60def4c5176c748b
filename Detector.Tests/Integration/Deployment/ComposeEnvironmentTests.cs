using System.Text.RegularExpressions;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// What the compose files take from the environment is all in .env.example, which names the
/// secrets without giving them a value (a copied example must not start a stack with a known key);
/// and the service runs as the Kubernetes manifests run it: read-only root, only /data and /tmp
/// written.
/// </summary>
public sealed partial class ComposeEnvironmentTests
{
    private static readonly string[] ComposeFiles = ["docker-compose.yml", "docker-compose.gpu.yml"];
    private static readonly string Example = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, ".env.example"));

    [Fact]
    public void Every_variable_the_compose_files_read_is_listed_in_the_env_example()
    {
        var read = ComposeFiles.SelectMany(f => Read(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, f)))).ToHashSet(StringComparer.Ordinal);
        var listed = Listed(Example);

        Assert.Superset(new HashSet<string>(["POSTGRES_PASSWORD", "DETECTOR_ADMIN_API_KEY", "GRAFANA_ADMIN_PASSWORD", "DETECTOR_GPU_COUNT"]), read);
        Assert.Empty(read.Except(listed).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_env_example_names_every_secret_and_gives_none_a_value()
    {
        var secrets = Secrets(Example);

        Assert.Superset(new HashSet<string>(["DETECTOR_ADMIN_API_KEY", "DETECTOR_API_KEY_HASH_SECRET", "DETECTOR_IMAGE_MASTER_KEY", "DETECTOR_AUDIT_SUBJECT_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "DETECTOR_S3_SECRET_ACCESS_KEY"]), secrets.Keys.ToHashSet());
        Assert.Empty(secrets.Where(s => s.Value.Length > 0).Select(s => s.Key));
    }

    [Fact]
    public void The_secret_check_reports_a_secret_given_a_value_and_the_listing_a_variable_missing()
    {
        const string Leaky = "A_PASSWORD=hunter2\n#B_KEY=0123abcd\nC_SECRET=\nD_PORT=8080\n";

        Assert.Equal(["A_PASSWORD", "B_KEY"], Secrets(Leaky).Where(s => s.Value.Length > 0).Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["E_HOST"], Read("x: ${D_PORT:-1} ${E_HOST:?set it} $${NOT_READ}").Except(Listed(Leaky)));
    }

    [Fact]
    public void The_service_runs_with_a_read_only_root_writing_only_its_data_volume_and_tmp()
    {
        var detector = ComposeSchema.LoadFile("docker-compose.yml", interpolate: true)["services"]!["detector"]!;
        var writable = detector["volumes"]!.AsArray().Select(v => v!.GetValue<string>().Split(':'))
            .Where(parts => parts.Length < 3 || !parts[2].Split(',').Contains("ro")).Select(parts => parts[1]).ToList();

        Assert.True(detector["read_only"]!.GetValue<bool>());
        Assert.Equal(["/tmp"], detector["tmpfs"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(["/data"], writable);
        // Where the image tells the service to write is under that volume (/models is mounted read-only).
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Dockerfile"));
        var paths = DockerfilePath().Matches(dockerfile).Select(m => (Key: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();
        Assert.Contains(paths, p => p.Key == "ImageStore__Path");
        Assert.All(paths.Where(p => p.Key != "Models__Directory"), p => Assert.StartsWith("/data/", p.Path, StringComparison.Ordinal));
        Assert.Contains("VOLUME [\"/data\"]", dockerfile, StringComparison.Ordinal);
    }

    /// <summary>Variables a compose text reads (${NAME...}); $${...} is a literal dollar for the container.</summary>
    private static HashSet<string> Read(string compose) =>
        ComposeVariable().Matches(compose).Where(m => !m.Groups["escaped"].Success).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Variables an env example lists, set or commented out (#NAME=).</summary>
    private static HashSet<string> Listed(string example) =>
        Assignment().Matches(example).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Listed variables that hold a secret (a key, secret or password; not an access key's id), with their example value.</summary>
    private static Dictionary<string, string> Secrets(string example) =>
        Assignment().Matches(example).Where(m => SecretName().IsMatch(m.Groups["name"].Value))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value.Trim(), StringComparer.Ordinal);

    [GeneratedRegex(@"(?<escaped>\$)?\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ComposeVariable();

    [GeneratedRegex(@"^#?(?<name>[A-Z_][A-Z0-9_]*)=(?<value>.*)$", RegexOptions.Multiline)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"(_KEY|SECRET|PASSWORD)$")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"^\s*(?:ENV\s+)?([A-Za-z]+__[A-Za-z_]+)=(/\S*)", RegexOptions.Multiline)]
    private static partial Regex DockerfilePath();
}
