using System.Text.RegularExpressions;

namespace Detector.Tests.Integration.Observability;

/// <summary>
/// The rules and the dashboard read only series the service defines: renaming a metric in the
/// code without the rules would leave an alert that can never fire, and nothing would say so.
/// A name is defined when it appears as a string literal in the C# sources of Detector.Modules
/// or Detector.Web (where every <c>Metrics.Create*</c> names its series).
/// </summary>
public sealed partial class MetricNamesTests
{
    /// <summary>Series the service exports without naming them in its code (prometheus-net's middleware and process collector), and Prometheus's own.</summary>
    private static readonly string[] Standard =
    [
        "http_requests_received_total", // UseHttpMetrics (http_request_duration_seconds is named in HttpMetricsSetup)
        "process_cpu_seconds_total",
        "process_working_set_bytes",
        "up", // written by Prometheus for every scrape target (DetectorTargetDown)
    ];

    /// <summary>
    /// Queried ahead of the code that exports them (none now: detector_drift_psi landed with the
    /// Monitoring module). A name added here must be exported before long.
    /// </summary>
    private static readonly string[] Pending = [];

    [Fact]
    public void Every_metric_the_alert_rules_query_is_defined_by_the_service()
    {
        var recorded = PromQlNames.RecordedNames(Promtool.AlertsFile);
        var names = PromQlNames.RuleExpressions(Promtool.AlertsFile).SelectMany(PromQlNames.In).ToHashSet(StringComparer.Ordinal);

        // The extraction itself works: the rules read these (a broken parser would find nothing, and pass).
        Assert.Superset(new HashSet<string>(["http_request_duration_seconds_bucket", "detector_queue_depth", "detector_job_items_pending", "detector_drift_psi", "detector:sync_detect_slow:ratio_rate1h"]), names);
        Assert.Empty(Undefined(names, recorded));
    }

    [Fact]
    public void Every_metric_the_dashboard_queries_is_defined_by_the_service()
    {
        var recorded = PromQlNames.RecordedNames(Promtool.AlertsFile);
        var names = PromQlNames.DashboardExpressions(Promtool.DashboardFile).SelectMany(PromQlNames.In).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(["detector_batch_size_bucket", "detector_requests_rejected_total", "detector_tenant_refusals_total", "detector_rollout_boxes_total", "detector_degradation_level"]), names);
        Assert.Empty(Undefined(names, recorded));
    }

    [Fact]
    public void The_name_check_reports_a_metric_the_service_does_not_define()
    {
        var names = PromQlNames.In("sum by (model) (rate(detector_queue_depthx{le=\"0.5\"}[5m] offset 10m)) / on() group_left sum(detector_batch_size_count) > bool 1e-3").ToList();

        Assert.Equal(["detector_queue_depthx", "detector_batch_size_count"], names);
        Assert.Equal(["detector_queue_depthx"], Undefined(names, new HashSet<string>()));
    }

    /// <summary>Names neither defined in the sources, nor standard, nor pending, nor recorded by alerts.yml.</summary>
    private static List<string> Undefined(IEnumerable<string> names, IReadOnlySet<string> recorded)
    {
        var defined = SourceLiterals.Value;
        bool Known(string name) => defined.Contains(name) || Standard.Contains(name) || Pending.Contains(name);
        return names
            .Where(n => n.Contains(':', StringComparison.Ordinal) ? !recorded.Contains(n) : !PromQlNames.IsSeriesOf(n, Known))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static readonly Lazy<HashSet<string>> SourceLiterals = new(() =>
    {
        var literals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in new[] { "Detector.Modules", "Detector.Web" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, root), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (Match m in MetricLiteral().Matches(File.ReadAllText(file)))
                {
                    literals.Add(m.Groups[1].Value);
                }
            }
        }

        return literals;
    });

    [GeneratedRegex("\"([a-z_][a-z0-9_]*)\"")]
    private static partial Regex MetricLiteral();
}
