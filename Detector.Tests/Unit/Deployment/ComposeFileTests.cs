namespace Detector.Tests.Unit.Deployment;

/// <summary>What the shipped docker-compose.yml must say for the service to be right behind its proxy.</summary>
public sealed class ComposeFileTests
{
    private static readonly string Compose = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docker-compose.yml"));

    [Fact]
    public void The_service_trusts_its_proxy_so_https_behind_it_gets_hsts_and_the_proxy_is_configurable()
    {
        var environment = ServiceEnvironment("detector");

        Assert.Contains(environment, l => l.StartsWith("Transport__TrustedProxies__0: ${DETECTOR_TRUSTED_PROXY", StringComparison.Ordinal));
        Assert.Contains(environment, l => l.StartsWith("Transport__HstsMaxAgeDays:", StringComparison.Ordinal));
        Assert.Contains("DETECTOR_TRUSTED_PROXY=", File.ReadAllText(Path.Combine(TestPaths.RepoRoot, ".env.example")), StringComparison.Ordinal);
    }

    /// <summary>The trimmed lines of a service's environment block (the file's own two-space indentation).</summary>
    private static List<string> ServiceEnvironment(string service)
    {
        var lines = Compose.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == $"  {service}:");
        Assert.True(start >= 0, $"no service {service}");
        var env = Array.FindIndex(lines, start, l => l.TrimEnd() == "    environment:");
        Assert.True(env > start, $"service {service} has no environment block");
        return lines.Skip(env + 1).TakeWhile(l => l.StartsWith("      ", StringComparison.Ordinal)).Select(l => l.Trim()).Where(l => !l.StartsWith('#')).ToList();
    }
}
