using YamlDotNet.RepresentationModel;

namespace Detector.Tests.Integration.Deployment;

/// <summary>Kustomize's nameSuffix and labels transformers over the fields deploy/k8s has (see <see cref="Kustomize"/>).</summary>
internal static class References
{
    private static readonly string[] Workloads = ["Deployment", "Job"];

    /// <summary>Renames every resource and, as Kustomize does, the references to those renamed within the same build.</summary>
    public static void Rename(List<YamlMappingNode> resources, string suffix)
    {
        var renamed = resources.Select(r => (Kind: Kustomize.Scalar(r, "kind"), Name: Kustomize.Name(r))).ToHashSet();
        foreach (var resource in resources)
        {
            var meta = Map(resource, "metadata")!;
            meta.Children[new YamlScalarNode("name")] = new YamlScalarNode(Kustomize.Name(resource) + suffix);
        }

        void Rewrite(YamlMappingNode? node, string field, string kind)
        {
            if (node is not null && Kustomize.Scalar(node, field) is { } name && renamed.Contains((kind, name)))
            {
                node.Children[new YamlScalarNode(field)] = new YamlScalarNode(name + suffix);
            }
        }

        foreach (var resource in resources)
        {
            var kind = Kustomize.Scalar(resource, "kind");
            if (kind == "HorizontalPodAutoscaler")
            {
                var target = Map(resource, "spec", "scaleTargetRef");
                Rewrite(target, "name", target is null ? "" : Kustomize.Scalar(target, "kind") ?? "");
            }

            if (!Workloads.Contains(kind) || Map(resource, "spec", "template", "spec") is not { } pod)
            {
                continue;
            }

            Rewrite(pod, "serviceAccountName", "ServiceAccount");
            foreach (var volume in Kustomize.Sequence(pod, "volumes").Cast<YamlMappingNode>())
            {
                Rewrite(Map(volume, "persistentVolumeClaim"), "claimName", "PersistentVolumeClaim");
                Rewrite(Map(volume, "configMap"), "name", "ConfigMap");
                Rewrite(Map(volume, "secret"), "secretName", "Secret");
            }

            foreach (var container in Kustomize.Sequence(pod, "containers").Concat(Kustomize.Sequence(pod, "initContainers")).Cast<YamlMappingNode>())
            {
                foreach (var from in Kustomize.Sequence(container, "envFrom").Cast<YamlMappingNode>())
                {
                    Rewrite(Map(from, "configMapRef"), "name", "ConfigMap");
                    Rewrite(Map(from, "secretRef"), "name", "Secret");
                }

                foreach (var env in Kustomize.Sequence(container, "env").Cast<YamlMappingNode>())
                {
                    Rewrite(Map(env, "valueFrom", "configMapKeyRef"), "name", "ConfigMap");
                    Rewrite(Map(env, "valueFrom", "secretKeyRef"), "name", "Secret");
                }
            }
        }
    }

    /// <summary>The labels transformer: metadata labels always; with selectors, the selectors and pod templates Kustomize's fieldSpecs name.</summary>
    public static void AddLabels(YamlMappingNode resource, YamlMappingNode pairs, bool includeSelectors)
    {
        Add(Ensure(Map(resource, "metadata")!, "labels"), pairs);
        if (!includeSelectors)
        {
            return;
        }

        switch (Kustomize.Scalar(resource, "kind"))
        {
            case "Deployment":
                Add(Ensure(Map(resource, "spec", "selector")!, "matchLabels"), pairs);
                Add(Ensure(Ensure(Map(resource, "spec", "template")!, "metadata"), "labels"), pairs);
                // As kustomize's field specs do: a spread constraint then counts only this build's pods
                // (found by comparing with `kubectl kustomize`, Kustomize v5.5.0).
                if (Map(resource, "spec", "template", "spec") is { } pod)
                {
                    foreach (var constraint in Kustomize.Sequence(pod, "topologySpreadConstraints").Cast<YamlMappingNode>())
                    {
                        Add(Ensure(Ensure(constraint, "labelSelector"), "matchLabels"), pairs);
                    }
                }

                break;
            case "Job":
                Add(Ensure(Ensure(Map(resource, "spec", "template")!, "metadata"), "labels"), pairs);
                break;
            case "Service":
                Add(Ensure(Map(resource, "spec")!, "selector"), pairs);
                break;
            case "PodDisruptionBudget":
                Add(Ensure(Map(resource, "spec", "selector")!, "matchLabels"), pairs);
                break;
            case "NetworkPolicy":
                // Kustomize also labels the policy's own pod selectors in from/to: a policy in a
                // labelled build would no longer admit Prometheus; deploy/k8s keeps it in shared/.
                Add(Ensure(Map(resource, "spec", "podSelector")!, "matchLabels"), pairs);
                foreach (var rule in Kustomize.Sequence(Map(resource, "spec")!, "ingress").Cast<YamlMappingNode>())
                {
                    foreach (var peer in Kustomize.Sequence(rule, "from").Cast<YamlMappingNode>())
                    {
                        if (Map(peer, "podSelector") is { } selector)
                        {
                            Add(Ensure(selector, "matchLabels"), pairs);
                        }
                    }
                }

                break;
        }
    }

    public static YamlMappingNode? Map(YamlMappingNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (!current.Children.TryGetValue(new YamlScalarNode(key), out var next) || next is not YamlMappingNode map)
            {
                return null;
            }

            current = map;
        }

        return current;
    }

    private static YamlMappingNode Ensure(YamlMappingNode node, string key)
    {
        if (Map(node, key) is { } existing)
        {
            return existing;
        }

        var created = new YamlMappingNode();
        node.Children[new YamlScalarNode(key)] = created;
        return created;
    }

    private static void Add(YamlMappingNode labels, YamlMappingNode pairs)
    {
        foreach (var (key, value) in pairs.Children)
        {
            labels.Children[key] = value;
        }
    }
}
