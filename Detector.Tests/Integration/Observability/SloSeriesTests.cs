using System.Net;

namespace Detector.Tests.Integration.Observability;

/// <summary>
/// The series the SLO rules select exist in a real scrape with the label values the rules match
/// on: a route template or a bucket bound that differs by one character would leave the burn-rate
/// alerts reading nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SloSeriesTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task A_sync_detection_is_counted_under_its_route_template_with_a_half_second_bucket()
    {
        var (tenant, _) = await factory.CreateTenantClientAsync();
        using (var response = await tenant.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var client = factory.CreateAnonymousClient();
        var lines = (await client.GetStringAsync("/metrics")).Split('\n');

        // alerts.yml: {endpoint="/v1/detect",method="POST",code=~"2..",le="0.5"} and the same _count.
        string[] detect = ["endpoint=\"/v1/detect\"", "method=\"POST\"", "code=\"200\""];
        Assert.Contains(lines, l => l.StartsWith("http_request_duration_seconds_bucket{", StringComparison.Ordinal) && detect.All(l.Contains) && l.Contains("le=\"0.5\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("http_request_duration_seconds_count{", StringComparison.Ordinal) && detect.All(l.Contains));
        // The availability ratio: {endpoint=~"/v1/.+",code=~"5.."} over all /v1 answers.
        Assert.Contains(lines, l => l.StartsWith("http_requests_received_total{", StringComparison.Ordinal) && detect.All(l.Contains));
        // The default bounds are kept beside the added one.
        Assert.Contains(lines, l => l.StartsWith("http_request_duration_seconds_bucket{", StringComparison.Ordinal) && detect.All(l.Contains) && l.Contains("le=\"0.512\"", StringComparison.Ordinal));
        // The process series the dashboard plots (MetricNamesTests allows them as prometheus-net's own).
        Assert.Contains(lines, l => l.StartsWith("process_cpu_seconds_total ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("process_working_set_bytes ", StringComparison.Ordinal));
    }
}
