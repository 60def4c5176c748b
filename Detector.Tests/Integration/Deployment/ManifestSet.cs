using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// What is applied to one namespace together (e.g. shared/ + overlays/cpu), rendered and loaded
/// into the KubernetesClient models (and CustomResources.cs' classes for KEDA and Gateway API)
/// with the strict deserializer: a misspelt or misplaced field is a load failure, not a field the
/// API server would drop.
/// </summary>
internal sealed class ManifestSet
{
    private static readonly Dictionary<string, Type> CustomKinds = new()
    {
        ["keda.sh/v1alpha1/ScaledObject"] = typeof(ScaledObject),
        ["keda.sh/v1alpha1/TriggerAuthentication"] = typeof(TriggerAuthentication),
        ["gateway.networking.k8s.io/v1/HTTPRoute"] = typeof(HttpRoute),
    };

    public ManifestSet(string name, IEnumerable<YamlMappingNode> documents)
    {
        Name = name;
        foreach (var doc in documents)
        {
            var id = $"{Kustomize.Scalar(doc, "kind")}/{Kustomize.Name(doc)}";
            var key = $"{Kustomize.Scalar(doc, "apiVersion")}/{Kustomize.Scalar(doc, "kind")}";
            try
            {
                var map = CustomKinds.TryGetValue(key, out var custom) ? new Dictionary<string, Type> { [key] = custom } : null;
                var loaded = KubernetesYaml.LoadAllFromString(Kustomize.Serialize(doc), map, strict: true);
                Objects.Add(loaded.Single());
            }
            catch (Exception ex)
            {
                LoadFailures.Add($"schema: {id}: {(ex.InnerException ?? ex).Message}");
            }
        }
    }

    /// <summary>The folders under deploy/k8s applied together in each supported way.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Layouts = new Dictionary<string, string[]>
    {
        ["cpu"] = ["shared", "overlays/cpu"],
        ["gpu"] = ["shared", "overlays/gpu"],
        ["keda"] = ["shared", "overlays/keda"],
        ["blue-green"] = ["shared", "overlays/blue", "overlays/green", "route"],
    };

    public string Name { get; }

    public List<object> Objects { get; } = [];

    public List<string> LoadFailures { get; } = [];

    public static string Root => Path.Combine(TestPaths.RepoRoot, "deploy", "k8s");

    public static ManifestSet Render(string layout) =>
        new(layout, RenderDocuments(layout));

    public static List<YamlMappingNode> RenderDocuments(string layout) =>
        Layouts[layout].SelectMany(f => Kustomize.Build(Path.Combine(Root, f))).ToList();

    public IEnumerable<T> OfKind<T>() => Objects.OfType<T>();

    public IEnumerable<(string Id, V1PodSpec Pod, IDictionary<string, string>? Labels)> PodTemplates()
    {
        foreach (var d in OfKind<V1Deployment>())
        {
            yield return ($"Deployment/{d.Metadata.Name}", d.Spec.Template.Spec, d.Spec.Template.Metadata?.Labels);
        }

        foreach (var j in OfKind<V1Job>())
        {
            yield return ($"Job/{j.Metadata.Name}", j.Spec.Template.Spec, j.Spec.Template.Metadata?.Labels);
        }
    }
}
