using System.Globalization;
using System.Text.RegularExpressions;
using Detector.Tests.Integration.Observability;
using Detector.Web.Infrastructure;
using k8s.Models;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// What a cluster would only show at run time, checked on the rendered manifests: every object
/// loads into its typed model; selectors select the API pods; probes ask paths the running
/// service answers 200; autoscalers read series its /metrics exposes; the grace period covers the
/// drain; secrets only by reference; pods non-root on a read-only root. Each failure is one line
/// starting with its area (schema, selector, probe, metric, shutdown, secret, security, migrate, route).
/// </summary>
internal static partial class ManifestValidator
{
    /// <summary>Settings that are secrets (README's Configuration): never a literal, always a secretKeyRef.</summary>
    private static readonly string[] SecretSettings =
    [
        "Database__ConnectionString", "Database__DirectoryConnectionString", "Tenancy__AdminApiKey", "Tenancy__ApiKeyHashSecret",
        "ImageStore__Encryption__MasterKey", "Compliance__AuditSubjectKey", "ImageStore__S3__SecretAccessKey",
    ];

    public static List<string> Validate(ManifestSet set, IReadOnlySet<string> answeringPaths, IReadOnlySet<string> exposedMetrics)
    {
        var failures = new List<string>(set.LoadFailures);
        var deployments = set.OfKind<V1Deployment>().ToList();
        var apiPods = deployments.Select(d => d.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()).ToList();
        static bool Matches(IDictionary<string, string> selector, IDictionary<string, string> pod) =>
            selector.All(l => pod.TryGetValue(l.Key, out var v) && v == l.Value);
        bool SelectsApi(IDictionary<string, string>? selector) => selector is { Count: > 0 } && apiPods.Any(pod => Matches(selector, pod));

        foreach (var d in deployments)
        {
            var labels = d.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>();
            if (d.Spec.Selector.MatchLabels is not { Count: > 0 } selector || !Matches(selector, labels))
            {
                failures.Add($"selector: Deployment/{d.Metadata.Name} selector does not match its pod template");
            }
        }

        foreach (var s in set.OfKind<V1Service>().Where(s => !SelectsApi(s.Spec.Selector)))
        {
            failures.Add($"selector: Service/{s.Metadata.Name} selects no API pod");
        }

        foreach (var p in set.OfKind<V1PodDisruptionBudget>().Where(p => !SelectsApi(p.Spec.Selector?.MatchLabels)))
        {
            failures.Add($"selector: PodDisruptionBudget/{p.Metadata.Name} selects no API pod");
        }

        foreach (var n in set.OfKind<V1NetworkPolicy>())
        {
            if (apiPods.Count == 0 || !apiPods.All(pod => Matches(n.Spec.PodSelector.MatchLabels ?? new Dictionary<string, string>(), pod)))
            {
                failures.Add($"selector: NetworkPolicy/{n.Metadata.Name} does not cover every API pod");
            }
        }

        foreach (var h in set.OfKind<V2HorizontalPodAutoscaler>())
        {
            if (!deployments.Any(d => h.Spec.ScaleTargetRef.Kind == "Deployment" && d.Metadata.Name == h.Spec.ScaleTargetRef.Name))
            {
                failures.Add($"selector: HorizontalPodAutoscaler/{h.Metadata.Name} scales {h.Spec.ScaleTargetRef.Kind}/{h.Spec.ScaleTargetRef.Name}, which is not in the manifests");
            }

            foreach (var metric in h.Spec.Metrics ?? [])
            {
                var name = metric.Pods?.Metric.Name ?? metric.ObjectProperty?.Metric.Name ?? metric.External?.Metric.Name;
                if (name is not null && !exposedMetrics.Contains(name))
                {
                    failures.Add($"metric: HorizontalPodAutoscaler/{h.Metadata.Name} reads {name}, which /metrics does not expose");
                }
            }
        }

        foreach (var so in set.OfKind<ScaledObject>())
        {
            if (!deployments.Any(d => d.Metadata.Name == so.Spec?.ScaleTargetRef?.Name))
            {
                failures.Add($"selector: ScaledObject/{so.Metadata?.Name} scales Deployment/{so.Spec?.ScaleTargetRef?.Name}, which is not in the manifests");
            }

            foreach (var trigger in so.Spec?.Triggers ?? [])
            {
                if (trigger.Type == "prometheus" && trigger.Metadata?.GetValueOrDefault("query") is { } query)
                {
                    failures.AddRange(PromQlNames.In(query).Where(n => !exposedMetrics.Contains(n))
                        .Select(n => $"metric: ScaledObject/{so.Metadata?.Name} reads {n}, which /metrics does not expose"));
                }

                if (trigger.AuthenticationRef?.Name is { } auth && !set.OfKind<TriggerAuthentication>().Any(t => t.Metadata?.Name == auth))
                {
                    failures.Add($"secret: ScaledObject/{so.Metadata?.Name} authenticates with TriggerAuthentication/{auth}, which is not in the manifests");
                }
            }
        }

        failures.AddRange(Pods(set, answeringPaths));
        failures.AddRange(Secrets(set));
        failures.AddRange(Routes(set));
        return failures;
    }

    private static IEnumerable<string> Pods(ManifestSet set, IReadOnlySet<string> answeringPaths)
    {
        // Both slots' ConfigMaps hold the same keys; the first value stands for all.
        var config = set.OfKind<V1ConfigMap>().SelectMany(c => c.Data ?? new Dictionary<string, string>())
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value);
        var defaults = new ShutdownOptions();
        var drain = config.TryGetValue("Shutdown__DrainDelaySeconds", out var d) ? double.Parse(d, CultureInfo.InvariantCulture) : defaults.DrainDelaySeconds;
        var timeout = config.TryGetValue("Shutdown__TimeoutSeconds", out var t) ? double.Parse(t, CultureInfo.InvariantCulture) : defaults.TimeoutSeconds;

        foreach (var (id, pod, _) in set.PodTemplates())
        {
            if (pod.SecurityContext?.RunAsNonRoot != true)
            {
                yield return $"security: {id} does not set runAsNonRoot";
            }

            foreach (var c in pod.Containers)
            {
                if (c.SecurityContext?.ReadOnlyRootFilesystem != true || c.SecurityContext.AllowPrivilegeEscalation != false)
                {
                    yield return $"security: {id} container {c.Name} has a writable root or may escalate";
                }

                foreach (var (kind, probe) in new[] { ("startup", c.StartupProbe), ("readiness", c.ReadinessProbe), ("liveness", c.LivenessProbe) })
                {
                    if (probe?.HttpGet?.Path is { } path && !answeringPaths.Contains(path))
                    {
                        yield return $"probe: {id} {kind} probe asks {path}, which does not answer 200";
                    }
                }
            }

            if (id.StartsWith("Deployment/", StringComparison.Ordinal))
            {
                var api = pod.Containers[0];
                if (api.ReadinessProbe is null || api.LivenessProbe is null || api.StartupProbe is null)
                {
                    yield return $"probe: {id} lacks a startup, readiness or liveness probe";
                }

                var command = api.Lifecycle?.PreStop?.Exec?.Command;
                var preStop = command is { Count: 2 } && command[0] == "sleep" ? double.Parse(command[1], CultureInfo.InvariantCulture) : api.Lifecycle?.PreStop?.Sleep?.Seconds ?? 0;
                if ((pod.TerminationGracePeriodSeconds ?? 30) < preStop + drain + timeout)
                {
                    yield return $"shutdown: {id} terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds ?? 30} < preStop {preStop} + drain {drain} + timeout {timeout}";
                }
            }
        }

        if (set.OfKind<V1Job>().Any(j => j.Spec.Template.Spec.Containers.Any(c => c.Args is { Count: 1 } && c.Args[0] == "migrate")) && config.GetValueOrDefault("Database__MigrateOnStart") != "false")
        {
            yield return "migrate: a migration Job runs, but the replicas' Database__MigrateOnStart is not false";
        }
    }

    private static IEnumerable<string> Secrets(ManifestSet set)
    {
        foreach (var s in set.OfKind<V1Secret>())
        {
            yield return $"secret: Secret/{s.Metadata.Name} is inlined in the manifests";
        }

        foreach (var c in set.OfKind<V1ConfigMap>())
        {
            foreach (var key in (c.Data ?? new Dictionary<string, string>()).Keys.Where(SecretSettings.Contains))
            {
                yield return $"secret: ConfigMap/{c.Metadata.Name} holds {key}";
            }
        }

        foreach (var (id, pod, _) in set.PodTemplates())
        {
            foreach (var env in pod.Containers.SelectMany(c => c.Env ?? []).Where(e => SecretSettings.Contains(e.Name) && e.ValueFrom?.SecretKeyRef is null))
            {
                yield return $"secret: {id} sets {env.Name} without a secretKeyRef";
            }
        }
    }

    private static IEnumerable<string> Routes(ManifestSet set)
    {
        var services = set.OfKind<V1Service>().Select(s => s.Metadata.Name).ToHashSet();
        foreach (var route in set.OfKind<HttpRoute>())
        {
            foreach (var rule in route.Spec?.Rules ?? [])
            {
                foreach (var backend in (rule.BackendRefs ?? []).Where(b => !services.Contains(b.Name!)))
                {
                    yield return $"route: HTTPRoute/{route.Metadata?.Name} sends to Service/{backend.Name}, which is not in the manifests";
                }

                foreach (var match in (rule.Matches ?? []).Where(m => m.Path?.Value is null or "/" || m.Path.Value.StartsWith("/metrics", StringComparison.Ordinal) || m.Path.Value.StartsWith("/health", StringComparison.Ordinal)))
                {
                    yield return $"route: HTTPRoute/{route.Metadata?.Name} exposes {match.Path?.Value ?? "/"} (and with it /metrics or /health) to the public";
                }
            }
        }
    }

    /// <summary>Series names in a Prometheus text exposition (histogram and summary families under their own name too).</summary>
    public static HashSet<string> ExposedNames(string exposition) =>
        Sample().Matches(exposition).Select(m => m.Groups[1].Value)
            .Concat(TypeLine().Matches(exposition).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
