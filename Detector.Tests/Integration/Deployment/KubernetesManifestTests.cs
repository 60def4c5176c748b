using System.Net;
using System.Reflection;
using k8s.Models;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// deploy/k8s without a cluster: every layout (shared/ with an overlay, or both slots and the
/// route) rendered by <see cref="Kustomize"/>'s subset, loaded strictly into the Kubernetes models
/// and checked by <see cref="ManifestValidator"/> against the running service: the probe paths
/// are asked of it, the autoscalers' metrics looked up in its /metrics. The broken copies show the
/// validator names exactly what is wrong.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class KubernetesManifestTests(DetectorApiFactory factory)
{
    public static TheoryData<string> Layouts()
    {
        var data = new TheoryData<string>();
        foreach (var layout in ManifestSet.Layouts.Keys)
        {
            data.Add(layout);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Every_layout_loads_strictly_and_passes_the_validation_against_the_running_service(string layout)
    {
        var set = ManifestSet.Render(layout);
        var (paths, metrics) = await ObserveAsync(set);

        Assert.Empty(ManifestValidator.Validate(set, paths, metrics));
        Assert.Contains(set.Objects, o => o is V1Deployment);
        Assert.Contains(set.Objects, o => o is V1NetworkPolicy);
    }

    [Fact]
    public void The_layouts_hold_what_the_rollout_needs()
    {
        var cpu = ManifestSet.Render("cpu");
        Assert.Single(cpu.OfKind<V2HorizontalPodAutoscaler>());
        Assert.Single(cpu.OfKind<V1PodDisruptionBudget>());
        Assert.Single(cpu.OfKind<V1Job>(), j => j.Spec.Template.Spec.Containers.Single().Args.SequenceEqual(["migrate"]));

        var gpu = ManifestSet.Render("gpu").OfKind<V1Deployment>().Single().Spec.Template.Spec;
        Assert.Equal("1", gpu.Containers.Single().Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Contains(gpu.Tolerations, t => t.Key == "nvidia.com/gpu");
        Assert.NotEmpty(gpu.NodeSelector);

        // KEDA replaces the HPA (two autoscalers on one Deployment fight).
        var keda = ManifestSet.Render("keda");
        Assert.Empty(keda.OfKind<V2HorizontalPodAutoscaler>());
        Assert.Single(keda.OfKind<ScaledObject>());

        var slots = ManifestSet.Render("blue-green");
        Assert.Equal(["detector-blue", "detector-green"], slots.OfKind<V1Deployment>().Select(d => d.Metadata.Name).Order());
        var backends = slots.OfKind<HttpRoute>().Single().Spec!.Rules!.Single().BackendRefs!;
        Assert.Equal(["detector-blue", "detector-green"], backends.Select(b => b.Name!).Order());
        Assert.Equal(100, backends.Sum(b => b.Weight ?? 0));
        // Each slot's selector picks only its own pods.
        var blue = slots.OfKind<V1Deployment>().Single(d => d.Metadata.Name == "detector-blue");
        Assert.Equal("detector-blue", blue.Spec.Selector.MatchLabels["app.kubernetes.io/instance"]);
        Assert.Equal("detector-config-blue", blue.Spec.Template.Spec.Containers.Single().EnvFrom.Single().ConfigMapRef.Name);
    }

    [Fact]
    public async Task The_validation_reports_exactly_a_wrong_probe_path_and_a_metric_the_service_does_not_expose()
    {
        var docs = ManifestSet.RenderDocuments("cpu");
        var deployment = docs.Single(d => Kustomize.Scalar(d, "kind") == "Deployment");
        var readiness = References.Map(deployment, "spec", "template", "spec")!;
        var container = (YamlMappingNode)Kustomize.Sequence(readiness, "containers").Single();
        References.Map(container, "readinessProbe", "httpGet")!.Children[new YamlScalarNode("path")] = new YamlScalarNode("/healthz");
        var hpa = docs.Single(d => Kustomize.Scalar(d, "kind") == "HorizontalPodAutoscaler");
        var metric = (YamlMappingNode)Kustomize.Sequence(References.Map(hpa, "spec")!, "metrics").First();
        References.Map(metric, "pods", "metric")!.Children[new YamlScalarNode("name")] = new YamlScalarNode("detector_requests_waiting");
        var set = new ManifestSet("cpu-broken", docs);
        var (paths, metrics) = await ObserveAsync(set);

        Assert.Equal(
            [
                "metric: HorizontalPodAutoscaler/detector reads detector_requests_waiting, which /metrics does not expose",
                "probe: Deployment/detector readiness probe asks /healthz, which does not answer 200",
            ],
            ManifestValidator.Validate(set, paths, metrics).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_setting_in_the_config_maps_names_an_option_the_service_binds_and_the_pinned_model_exists()
    {
        // Options classes by section (SectionName constants of Detector.Web and the modules): a
        // misspelt key would be ignored by the service without a word.
        var web = typeof(Program).Assembly;
        var assemblies = web.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("Detector.", StringComparison.Ordinal)).Select(Assembly.Load).Append(web);
        var sections = assemblies.SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true })
            .ToLookup(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type);
        var unbound = new List<string>();
        foreach (var layout in ManifestSet.Layouts.Keys)
        {
            foreach (var key in ManifestSet.Render(layout).OfKind<V1ConfigMap>().SelectMany(c => c.Data.Keys).Where(k => k.Contains("__", StringComparison.Ordinal)))
            {
                var parts = key.Split("__");
                if (!sections[parts[0]].Any(t => t.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is not null))
                {
                    unbound.Add($"{layout}: {key}");
                }
            }
        }

        Assert.Empty(unbound);
        var model = ManifestSet.Render("cpu").OfKind<V1ConfigMap>().Single().Data["Models__Default"];
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, "Detector.Web", "model-manifests", model + ".json")), model);
    }

    [Theory]
    [InlineData("unknown field", "schema: PodDisruptionBudget/detector: ")]
    [InlineData("unmatched selector", "selector: Service/detector selects no API pod")]
    [InlineData("short grace period", "shutdown: Deployment/detector terminationGracePeriodSeconds 30 < preStop 5 + drain 5 + timeout 30")]
    [InlineData("inlined secret", "secret: ConfigMap/detector-config holds Tenancy__AdminApiKey")]
    [InlineData("literal secret", "secret: Deployment/detector sets Tenancy__AdminApiKey without a secretKeyRef")]
    public void The_validation_reports_exactly_each_other_breakage(string breakage, string expected)
    {
        var docs = ManifestSet.RenderDocuments("cpu");
        YamlMappingNode Doc(string kind) => docs.Single(d => Kustomize.Scalar(d, "kind") == kind);
        void Set(YamlMappingNode? node, string key, string value) => node!.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
        var pod = References.Map(Doc("Deployment"), "spec", "template", "spec")!;
        switch (breakage)
        {
            case "unknown field":
                Set(References.Map(Doc("PodDisruptionBudget"), "spec"), "maxUnavailabe", "1");
                break;
            case "unmatched selector":
                Set(References.Map(Doc("Service"), "spec", "selector"), "app.kubernetes.io/component", "worker");
                break;
            case "short grace period":
                Set(pod, "terminationGracePeriodSeconds", "30");
                break;
            case "inlined secret":
                Set(References.Map(Doc("ConfigMap"), "data"), "Tenancy__AdminApiKey", "inline");
                break;
            case "literal secret":
                var env = Kustomize.Sequence((YamlMappingNode)Kustomize.Sequence(pod, "containers").Single(), "env").Cast<YamlMappingNode>()
                    .Single(e => Kustomize.Scalar(e, "name") == "Tenancy__AdminApiKey");
                env.Children.Remove(new YamlScalarNode("valueFrom"));
                Set(env, "value", "inline");
                break;
        }

        var failures = ManifestValidator.Validate(new ManifestSet("cpu-broken", docs), new HashSet<string> { "/health/live", "/health/ready" }, new HashSet<string> { "detector_queue_depth", "http_requests_in_progress" });

        var failure = Assert.Single(failures);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_KEDA_backlog_query_runs_on_the_migrated_schema()
    {
        var query = ManifestSet.Render("keda").OfKind<ScaledObject>().Single().Spec!.Triggers!.Single(t => t.Type == "postgresql").Metadata!["query"];
        using (var client = factory.CreateAnonymousClient())
        {
            // The service migrated the test database before it answers.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        }

        await using var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(query, connection);

        Assert.IsType<long>(await command.ExecuteScalarAsync());
    }

    /// <summary>Which of the set's probe paths answer 200 on the running service, and the names on its /metrics.</summary>
    private async Task<(HashSet<string> Paths, HashSet<string> Metrics)> ObserveAsync(ManifestSet set)
    {
        using var client = factory.CreateAnonymousClient();
        var probes = set.PodTemplates().SelectMany(p => p.Pod.Containers)
            .SelectMany(c => new[] { c.StartupProbe, c.ReadinessProbe, c.LivenessProbe })
            .Select(p => p?.HttpGet?.Path).OfType<string>().Distinct();
        var answering = new HashSet<string>();
        foreach (var path in probes)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                answering.Add(path);
            }
        }

        return (answering, ManifestValidator.ExposedNames(await client.GetStringAsync("/metrics")));
    }
}
