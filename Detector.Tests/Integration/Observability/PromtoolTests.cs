using System.Text.Json;

namespace Detector.Tests.Integration.Observability;

/// <summary>
/// The shipped alert rules, their unit tests, the Prometheus configuration and the dashboard's
/// queries, through promtool: what an operator would load must load, and the alerts must fire on
/// the series they are for and stay quiet on healthy ones (alerts.test.yml).
/// </summary>
public sealed class PromtoolTests
{
    // The alerts issue 25 requires proof for: each needs a firing case (non-empty exp_alerts) in
    // alerts.test.yml, and alerts.test.yml also has their quiet cases.
    private static readonly string[] ProvenAlerts = ["DetectorSyncLatencyBudgetBurnFast", "DetectorInputDrift", "DetectorJobBacklogStalled", "DetectorJobBacklogDrainSlow"];

    [Fact]
    public async Task Shipped_alert_rules_pass_promtool_check_rules()
    {
        var (code, output) = await Promtool.RunAsync(Promtool.PrometheusDir, "check", "rules", "alerts.yml");

        Assert.True(code == 0, $"promtool check rules alerts.yml exited {code}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alert_unit_tests_show_burn_rate_drift_and_backlog_alerts_firing_and_quiet_when_healthy()
    {
        var tests = await File.ReadAllTextAsync(Path.Combine(Promtool.PrometheusDir, "alerts.test.yml"));
        foreach (var alert in ProvenAlerts)
        {
            // A firing case names the alert and then expects labels; a quiet one expects [].
            Assert.Matches($@"alertname: {alert}\s+eval_time: \S+\s+exp_alerts:\s+- exp_labels", tests);
            Assert.Matches($@"alertname: {alert}, eval_time: \S+, exp_alerts: \[\]", tests);
        }

        var (code, output) = await Promtool.RunAsync(Promtool.PrometheusDir, "test", "rules", "alerts.test.yml");

        Assert.True(code == 0, $"promtool test rules alerts.test.yml exited {code}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shipped_prometheus_config_loads_with_its_rules()
    {
        var (code, output) = await Promtool.RunAsync(Promtool.PrometheusDir, "check", "config", "prometheus.yml");

        Assert.True(code == 0, $"promtool check config prometheus.yml exited {code}:\n{output}");
        Assert.Contains("1 rule files found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_dashboard_query_parses_as_PromQL()
    {
        var exprs = PromQlNames.DashboardExpressions(Promtool.DashboardFile);
        Assert.True(exprs.Count >= 20, $"only {exprs.Count} queries found in the dashboard");

        // Each query as a recording rule: promtool parses them without a server. Grafana's
        // $__rate_interval becomes a plain range first.
        var dir = Directory.CreateTempSubdirectory("detector-dashboard-rules-");
        try
        {
            var rules = exprs.Select((e, i) => $"      - record: dashboard:query{i}\n        expr: {JsonSerializer.Serialize(e.Replace("$__rate_interval", "5m", StringComparison.Ordinal))}");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "dashboard.yml"), "groups:\n  - name: dashboard\n    rules:\n" + string.Join('\n', rules) + "\n");

            var (code, output) = await Promtool.RunAsync(dir.FullName, "check", "rules", "dashboard.yml");

            Assert.True(code == 0, $"a dashboard query does not parse:\n{output}");
            Assert.Contains($"SUCCESS: {exprs.Count} rules found", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Every_dashboard_panel_uses_the_prometheus_datasource_variable()
    {
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Promtool.DashboardFile));
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("schemaVersion").GetInt32(), 36, 41);
        Assert.Contains(root.GetProperty("templating").GetProperty("list").EnumerateArray(), v => v.GetProperty("name").GetString() == "DS_PROMETHEUS" && v.GetProperty("type").GetString() == "datasource");

        var panels = root.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.NotEmpty(panels);
        Assert.All(panels, p => Assert.Equal("${DS_PROMETHEUS}", p.GetProperty("datasource").GetProperty("uid").GetString()));
    }
}
