using YamlDotNet.RepresentationModel;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// The part of Kustomize that deploy/k8s uses, so its overlays can be rendered without the
/// kustomize binary: <c>resources</c> (files and folders), <c>patches</c> by path (strategic
/// merge: maps merged, lists of named items merged by name, <c>$patch: delete</c>),
/// <c>nameSuffix</c> (with the references Kustomize rewrites: config maps, service accounts,
/// claims and the HPA's target) and <c>labels</c> with <c>includeSelectors</c>. Any other field
/// of a kustomization.yaml throws, so a manifest never relies on something rendered wrong here.
/// </summary>
internal static class Kustomize
{
    private static readonly HashSet<string> Supported = ["apiVersion", "kind", "resources", "patches", "nameSuffix", "labels"];

    public static List<YamlMappingNode> Build(string folder)
    {
        var kustomization = Load(Path.Combine(folder, "kustomization.yaml")).Single();
        foreach (var key in kustomization.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => !Supported.Contains(k)))
        {
            throw new NotSupportedException($"{folder}/kustomization.yaml: '{key}' is outside the subset these tests render.");
        }

        var resources = new List<YamlMappingNode>();
        foreach (var entry in Sequence(kustomization, "resources"))
        {
            var path = Path.GetFullPath(Path.Combine(folder, ((YamlScalarNode)entry).Value!));
            resources.AddRange(Directory.Exists(path) ? Build(path) : Load(path));
        }

        foreach (var patch in Sequence(kustomization, "patches").Cast<YamlMappingNode>())
        {
            foreach (var doc in Load(Path.Combine(folder, Scalar(patch, "path")!)))
            {
                var target = resources.SingleOrDefault(r => Scalar(r, "kind") == Scalar(doc, "kind") && Name(r) == Name(doc))
                    ?? throw new InvalidOperationException($"{folder}: patch for {Scalar(doc, "kind")}/{Name(doc)} matches no resource.");
                if (Scalar(doc, "$patch") == "delete")
                {
                    resources.Remove(target);
                }
                else
                {
                    Merge(target, doc);
                }
            }
        }

        if (Scalar(kustomization, "nameSuffix") is { } suffix)
        {
            References.Rename(resources, suffix);
        }

        foreach (var labels in Sequence(kustomization, "labels").Cast<YamlMappingNode>())
        {
            var pairs = (YamlMappingNode)labels["pairs"];
            var selectors = Scalar(labels, "includeSelectors") == "true";
            foreach (var resource in resources)
            {
                References.AddLabels(resource, pairs, selectors);
            }
        }

        return resources;
    }

    public static List<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    public static string Serialize(YamlMappingNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value : null;

    public static string? Name(YamlMappingNode node) =>
        node.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) && m is YamlMappingNode meta ? Scalar(meta, "name") : null;

    public static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode s ? s.Children : [];

    /// <summary>Strategic merge of <paramref name="patch"/> into <paramref name="target"/>.</summary>
    private static void Merge(YamlMappingNode target, YamlMappingNode patch)
    {
        foreach (var (key, value) in patch.Children)
        {
            if (target.Children.TryGetValue(key, out var existing) && existing is YamlMappingNode map && value is YamlMappingNode mapPatch)
            {
                Merge(map, mapPatch);
            }
            else if (existing is YamlSequenceNode list && value is YamlSequenceNode listPatch && Named(list) && Named(listPatch))
            {
                foreach (var item in listPatch.Children.Cast<YamlMappingNode>())
                {
                    var match = list.Children.Cast<YamlMappingNode>().FirstOrDefault(i => Scalar(i, "name") == Scalar(item, "name"));
                    if (match is null)
                    {
                        list.Add(item);
                    }
                    else
                    {
                        Merge(match, item);
                    }
                }
            }
            else
            {
                target.Children[key] = value;
            }
        }
    }

    private static bool Named(YamlSequenceNode list) =>
        list.Children.All(i => i is YamlMappingNode m && Scalar(m, "name") is not null);
}
