using Detector.Tests.Integration.Deployment;
using Detector.Tests.Integration.Jobs;
using k8s.Models;

namespace Detector.Tests.Integration.Observability;

/// <summary>
/// Every series the autoscalers (HPA and KEDA in every deploy/k8s layout), the alert and recording
/// rules and the Grafana dashboards read is on the running service's /metrics once it has served a
/// detection and a job: the check MetricNamesTests makes against the code's literals, made against
/// what the service really exposes.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class LiveMetricNamesTests(DetectorApiFactory factory)
{
    /// <summary>Written by Prometheus itself for every scrape target (DetectorTargetDown), never by the service.</summary>
    private static readonly string[] PrometheusOwn = ["up"];

    /// <summary>
    /// Series that exist only after an event this test cannot cause cheaply, each with the reason.
    /// All are labelled, and prometheus-net writes a labelled family (not even its # TYPE line)
    /// only once a first label set is used. MetricNamesTests still finds them defined in the code.
    /// </summary>
    private static readonly Dictionary<string, string> AfterRareEvents = new(StringComparer.Ordinal)
    {
        ["detector_audit_record_failures_total"] = "only once a background audit record fails (the database failing under it)",
        ["detector_drift_psi"] = "only after a version's first complete drift window: Monitoring:BaselineRequests (1000) + WindowRequests (500) detections",
        ["detector_rollout_comparisons_total"] = "only with a shadow or canary candidate configured for a model and a comparison run",
        ["detector_rollout_boxes_total"] = "only once an off-path comparison with a candidate completes",
        ["detector_rollout_breaches_total"] = "only when a rollout guardrail breach sets a variant's share to 0",
    };

    [Fact]
    public async Task Every_metric_the_autoscalers_rules_and_dashboards_read_is_on_the_live_metrics_after_a_detection_and_a_job()
    {
        var (client, _) = await factory.CreateTenantClientAsync("live-metrics");
        using (client)
        {
            await JobsTestKit.DetectAsync(client, File.ReadAllBytes(JobsTestKit.CocoFiles[0]));
            var accepted = await JobsTestKit.SubmitAsync(client, JobsTestKit.Images(JobsTestKit.Coco(2)));
            var job = await JobsTestKit.WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
        }

        using var anonymous = factory.CreateAnonymousClient();
        var exposed = ManifestValidator.ExposedNames(await anonymous.GetStringAsync("/metrics"));
        var read = ReadByDeployment();

        // The extraction found each source's names (an empty set would pass anything).
        Assert.Superset(new HashSet<string>(["detector_queue_depth", "http_requests_in_progress", "http_request_duration_seconds_bucket", "detector_batch_size_bucket", "detector_job_items_pending"]), read.Keys.ToHashSet());
        var missing = Missing(read, exposed, Recorded()).Where(m => !AfterRareEvents.ContainsKey(m.Split(' ')[0])).ToList();
        // A listed series may be exposed too: the test process's metrics registry is one for every
        // test, so an earlier test (an audit outage, a rollout) may have caused the rare event.
        Assert.Empty(missing);
    }

    [Fact]
    public void The_live_check_reports_a_name_the_metrics_output_lacks_and_where_it_is_read()
    {
        const string Exposition = """
            # HELP detector_queue_depth Images waiting.
            # TYPE detector_queue_depth gauge
            detector_queue_depth{model="m"} 0
            # TYPE detector_batch_size histogram
            detector_batch_size_bucket{le="1"} 0
            """;
        var read = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal)
        {
            ["detector_queue_depth"] = ["HorizontalPodAutoscaler/detector"],
            ["detector_batch_size_count"] = ["dashboard"],
            ["detector_requests_waiting"] = ["HorizontalPodAutoscaler/detector", "alerts.yml"],
            ["detector:slow:ratio"] = ["alerts.yml"],
            ["up"] = ["alerts.yml"],
        };

        Assert.Equal(
            ["detector_requests_waiting (read by HorizontalPodAutoscaler/detector, alerts.yml)"],
            Missing(read, ManifestValidator.ExposedNames(Exposition), new HashSet<string>(["detector:slow:ratio"])));
    }

    /// <summary>Each metric name read by the shipped deployment files, with where it is read.</summary>
    private static Dictionary<string, SortedSet<string>> ReadByDeployment()
    {
        var read = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Add(string name, string where)
        {
            if (!read.TryGetValue(name, out var places))
            {
                read[name] = places = new SortedSet<string>(StringComparer.Ordinal);
            }

            places.Add(where);
        }

        foreach (var layout in ManifestSet.Layouts.Keys)
        {
            var set = ManifestSet.Render(layout);
            foreach (var hpa in set.OfKind<V2HorizontalPodAutoscaler>())
            {
                foreach (var metric in hpa.Spec.Metrics ?? [])
                {
                    if ((metric.Pods?.Metric.Name ?? metric.ObjectProperty?.Metric.Name ?? metric.External?.Metric.Name) is { } name)
                    {
                        Add(name, $"HorizontalPodAutoscaler/{hpa.Metadata.Name} ({layout})");
                    }
                }
            }

            foreach (var so in set.OfKind<ScaledObject>())
            {
                foreach (var trigger in (so.Spec?.Triggers ?? []).Where(t => t.Type == "prometheus"))
                {
                    foreach (var name in PromQlNames.In(trigger.Metadata!["query"]))
                    {
                        Add(name, $"ScaledObject/{so.Metadata?.Name} ({layout})");
                    }
                }
            }
        }

        foreach (var name in PromQlNames.RuleExpressions(Promtool.AlertsFile).SelectMany(PromQlNames.In))
        {
            Add(name, "alerts.yml");
        }

        foreach (var dashboard in Directory.EnumerateFiles(Path.GetDirectoryName(Promtool.DashboardFile)!, "*.json"))
        {
            foreach (var name in PromQlNames.DashboardExpressions(dashboard).SelectMany(PromQlNames.In))
            {
                Add(name, Path.GetFileName(dashboard));
            }
        }

        return read;
    }

    private static IReadOnlySet<string> Recorded() => PromQlNames.RecordedNames(Promtool.AlertsFile);

    /// <summary>"name (read by ...)" for each name neither exposed, nor recorded by the rules, nor Prometheus's own.</summary>
    private static List<string> Missing(IReadOnlyDictionary<string, SortedSet<string>> read, IReadOnlySet<string> exposed, IReadOnlySet<string> recorded) =>
        read.Where(r => !recorded.Contains(r.Key) && !PrometheusOwn.Contains(r.Key) && !IsExposed(r.Key, exposed))
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Key} (read by {string.Join(", ", r.Value)})")
            .ToList();

    /// <summary>A sample or family of that name, or a histogram's _bucket/_sum/_count under its family.</summary>
    private static bool IsExposed(string name, IReadOnlySet<string> exposed) =>
        PromQlNames.IsSeriesOf(name, exposed.Contains);
}
