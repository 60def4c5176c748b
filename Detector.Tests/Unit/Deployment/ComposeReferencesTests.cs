using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Detector.Tests.Unit.Deployment;

/// <summary>
/// docker-compose.yml names files and services that must exist: a bind mount of a missing file
/// makes Docker create an empty folder in its place, and the container starts misconfigured.
/// No Docker engine ran here; this reads the file as compose would and checks what it names.
/// </summary>
public sealed partial class ComposeReferencesTests
{
    private static readonly YamlMappingNode Services = (YamlMappingNode)LoadCompose()["services"];

    [Fact]
    public void Every_file_the_compose_file_mounts_or_builds_from_exists()
    {
        var referenced = new List<string>();
        foreach (var (_, service) in Services.Children.Select(p => (p.Key, (YamlMappingNode)p.Value)))
        {
            foreach (var volume in Children(service, "volumes").OfType<YamlScalarNode>())
            {
                var source = Default(volume.Value!).Split(':')[0];
                if (source.StartsWith('.'))
                {
                    referenced.Add(source);
                }
            }

            if (service.Children.TryGetValue(new YamlScalarNode("build"), out var build) && build is YamlMappingNode b)
            {
                referenced.Add(((YamlScalarNode)b["context"]).Value!);
                referenced.Add(Path.Combine(((YamlScalarNode)b["context"]).Value!, ((YamlScalarNode)b["dockerfile"]).Value!));
            }
        }

        Assert.Contains("./deploy/observability/prometheus", referenced);
        Assert.Contains("./deploy/compose/nginx.conf", referenced);
        var missing = referenced.Where(r => !r.StartsWith("../", StringComparison.Ordinal))
            .Where(r => !File.Exists(Path.Combine(TestPaths.RepoRoot, r)) && !Directory.Exists(Path.Combine(TestPaths.RepoRoot, r)));
        Assert.Empty(missing);
    }

    [Fact]
    public void Services_depend_only_on_services_of_the_file_and_profiles_are_s3_or_gpu()
    {
        var names = Services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        foreach (var (_, service) in Services.Children.Select(p => (p.Key, (YamlMappingNode)p.Value)))
        {
            var dependsOn = service.Children.TryGetValue(new YamlScalarNode("depends_on"), out var d) ? d : null;
            var dependencies = dependsOn switch
            {
                YamlSequenceNode s => s.Children.Select(c => ((YamlScalarNode)c).Value!),
                YamlMappingNode m => m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!),
                _ => [],
            };
            Assert.All(dependencies, n => Assert.Contains(n, names));
            Assert.All(Children(service, "profiles").Select(p => ((YamlScalarNode)p).Value), p => Assert.Contains(p, new[] { "s3", "gpu" }));
        }

        Assert.Superset(new HashSet<string> { "detector", "postgres", "proxy", "prometheus", "grafana", "otel-collector" }, names);
    }

    [Fact]
    public void Every_variable_the_compose_file_requires_is_listed_in_the_env_example()
    {
        var compose = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docker-compose.yml"));
        var example = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, ".env.example"));
        var required = RequiredVariable().Matches(compose).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.Contains("GRAFANA_ADMIN_PASSWORD", required);
        Assert.All(required, v => Assert.Contains(v + "=", example, StringComparison.Ordinal));
    }

    private static YamlMappingNode LoadCompose()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(TestPaths.RepoRoot, "docker-compose.yml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static IEnumerable<YamlNode> Children(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode s ? s.Children : [];

    /// <summary>${VAR:-default} as compose resolves it without the variable set.</summary>
    private static string Default(string value) =>
        DefaultedVariable().Replace(value, m => m.Groups[1].Value);

    [GeneratedRegex(@"\$\{[A-Z_]+:-([^}]*)\}")]
    private static partial Regex DefaultedVariable();

    [GeneratedRegex(@"\$\{([A-Z_]+):\?")]
    private static partial Regex RequiredVariable();
}
