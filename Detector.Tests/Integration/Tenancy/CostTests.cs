using System.Globalization;
using System.Net;
using System.Text.Json;
using Detector.Modules.Tenancy;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// What requests cost: each answer carries the core-milliseconds its detection held; /metrics
/// counts core-seconds and cost per tenant (its opaque id) and model version; /v1/usage reckons
/// today's and this month's from the stored results, by version, at the configured price.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CostTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task Served_requests_cost_core_seconds_times_the_price_per_tenant_and_version_in_metrics_and_usage()
    {
        var (client, tenantId) = await factory.CreateTenantClientAsync("cost");
        var photos = DistinctPhotos.Make([.. JobsTestKit.CocoFiles.Take(3).Select(File.ReadAllBytes)], 3);
        double answered = 0;
        string version = "";
        foreach (var photo in photos)
        {
            using var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(photo));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var root = JsonDocument.Parse(body).RootElement;
            var coreMs = root.GetProperty("timings").GetProperty("core_ms").GetDouble();
            Assert.True(coreMs > 0, body);
            answered += coreMs / 1000;
            version = root.GetProperty("model").GetProperty("version").GetString()!;
        }

        var usage = JsonDocument.Parse(await client.GetStringAsync("/v1/usage")).RootElement.GetProperty("cost");
        var price = usage.GetProperty("price_per_core_second").GetDouble();
        Assert.True(price > 0);
        Assert.Equal("USD", usage.GetProperty("currency").GetString());
        foreach (var period in (string[])["day", "month"])
        {
            var byVersion = usage.GetProperty(period).GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == version);
            Assert.Equal(3, byVersion.GetProperty("requests").GetInt64());
            Assert.Equal(answered, byVersion.GetProperty("core_seconds").GetDouble(), 4);
            Assert.Equal(answered * price, byVersion.GetProperty("cost").GetDouble(), 9);
        }

        var tenant = factory.Services.GetRequiredService<TenantMetricIds>().For(tenantId);
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Equal(answered, Series(metrics, "detector_tenant_core_seconds_total", tenant, version), 3);
        Assert.Equal(answered * price, Series(metrics, "detector_tenant_cost_total", tenant, version), 8);
    }

    private static double Series(string metrics, string name, string tenant, string version) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"tenant=\"{tenant}\"", StringComparison.Ordinal) && l.Contains($"version=\"{version}\"", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))
            .Single();
}
