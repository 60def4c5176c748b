using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Detector.Modules.Common;
using Prometheus;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>One tenant's rate limit holds for the cluster, not per instance.</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed partial class RateLimitTests(TwoInstances instances, ITestOutputHelper output)
{
    [Fact]
    public async Task One_tenant_hammering_two_instances_for_ten_seconds_gets_no_more_than_its_plan_with_rate_limit_headers_on_every_answer()
    {
        // The default plan: 20 requests/s, burst 40.
        var (_, _, key) = await instances.A.CreateTenantAsync("hammer");
        var roundTripsBefore = Counter("detector_rate_limit_db_round_trips_total");
        var answers = new ConcurrentBag<(HttpStatusCode Status, string? RetryAfter, string? Policy, string? Limit, string? Code)>();
        var stopwatch = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(10);

        // Four closed-loop clients per instance that resend at once, whatever the answer.
        var clients = Enumerable.Range(0, 8).Select(async i =>
        {
            using var client = (i % 2 == 0 ? instances.A : instances.B).Client(key);
            while (stopwatch.Elapsed < duration)
            {
                using var response = await client.GetAsync("/v1/results?limit=1");
                var body = await response.Content.ReadAsStringAsync();
                answers.Add((
                    response.StatusCode,
                    response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Header(response, "RateLimit-Policy"),
                    Header(response, "RateLimit"),
                    CodePattern().Match(body) is { Success: true } m ? m.Groups[1].Value : null));
            }
        });
        await Task.WhenAll(clients);
        var seconds = stopwatch.Elapsed.TotalSeconds;

        var accepted = answers.Count(a => a.Status == HttpStatusCode.OK);
        var refused = answers.Where(a => a.Status == HttpStatusCode.TooManyRequests).ToList();
        var roundTrips = Counter("detector_rate_limit_db_round_trips_total") - roundTripsBefore;
        var ceiling = (1.10 * 20 * seconds) + 40;
        output.WriteLine($"{answers.Count} answers in {seconds:F1} s: {accepted} accepted (ceiling {ceiling:F0}), {refused.Count} refused; {roundTrips} bucket round trips = {roundTrips / Math.Max(1, accepted):F3} per accepted request");

        Assert.All(answers, a => Assert.Contains(a.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        Assert.InRange(accepted, (int)(0.8 * 20 * seconds), (int)ceiling);
        Assert.NotEmpty(refused);
        Assert.All(refused, r =>
        {
            Assert.Equal(ErrorCodes.RateLimited, r.Code);
            Assert.NotNull(r.RetryAfter);
            Assert.Matches("^\"tenant\";r=0;t=[1-9][0-9]*$", r.Limit);
        });
        Assert.All(answers, a => Assert.Equal("\"tenant\";q=40;w=2", a.Policy));
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.OK), a => Assert.Matches("^\"tenant\";r=[0-9]+;t=0$", a.Limit));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static double Counter(string name)
    {
        using var stream = new MemoryStream();
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        var match = Regex.Match(text, $"^{name} ([0-9.e+]+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex("\"code\":\"([a-z_]+)\"")]
    private static partial Regex CodePattern();
}
