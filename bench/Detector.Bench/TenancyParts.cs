using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Detector.Bench;

/// <summary>
/// Part 8: one tenant on the standard plan (20/s, burst 40) hammering two instances of one
/// database with clients that resend at once; what the cluster admits, and what the shared token
/// bucket costs in database round trips per request. Part 9: fairness between tenants: tenant A
/// far above its share (a sync flood, then a 500-image job) while tenant B sends one request
/// every 200 ms; B's p95 against its idle p95, and B's refusals.
/// </summary>
internal static partial class TenancyParts
{
    public static async Task<JsonObject> RateLimitAsync(BenchContext ctx, string adminKey, string dataDir, IReadOnlyList<byte[]> images)
    {
        await using var a = await ServiceProcess.StartAsync(ctx, "rate-a", adminKey, dataDir, new Dictionary<string, string>());
        await using var b = await ServiceProcess.StartAsync(ctx, "rate-b", adminKey, dataDir, new Dictionary<string, string>());
        var (tenantId, key) = await a.CreateTenantWithIdAsync(adminKey, "bench-rate");
        await a.SetPlanAsync(adminKey, tenantId, new { @base = "standard" });
        var before = await RoundTripsAsync(a, b);

        var answers = new List<(int Status, bool RetryAfter, bool Headers)>();
        var duration = ctx.D(10, 10);
        var clock = Stopwatch.StartNew();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var clients = Enumerable.Range(0, 8).Select(async i =>
        {
            var target = i % 2 == 0 ? a : b;
            var n = i;
            while (clock.Elapsed < duration)
            {
                using var content = new ByteArrayContent(images[n++ % images.Count]);
                content.Headers.ContentType = new("image/jpeg");
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{target.BaseUrl}/v1/detect") { Content = content };
                request.Headers.Add("X-Api-Key", key);
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                lock (answers)
                {
                    answers.Add(((int)response.StatusCode, response.Headers.RetryAfter is not null, response.Headers.Contains("RateLimit") && response.Headers.Contains("RateLimit-Policy")));
                }
            }
        });
        await Task.WhenAll(clients);
        var seconds = clock.Elapsed.TotalSeconds;
        var roundTrips = await RoundTripsAsync(a, b) - before;
        var accepted = answers.Count(x => x.Status == 200);
        var refused = answers.Count(x => x.Status == 429);
        var ceiling = (1.10 * 20 * seconds) + 40;
        Log.Info($"part 8: {answers.Count} answers in {seconds:F1} s over two instances: {accepted} accepted (ceiling {ceiling:F0}), {refused} refused; {roundTrips} bucket round trips = {roundTrips / Math.Max(1, accepted):F3} per accepted, {roundTrips / Math.Max(1, answers.Count):F4} per request");
        return new JsonObject
        {
            ["window_s"] = Stats.N(seconds, 1),
            ["requests"] = answers.Count,
            ["accepted"] = accepted,
            ["refused_429"] = refused,
            ["other"] = answers.Count(x => x.Status is not (200 or 429)),
            ["refused_without_retry_after"] = answers.Count(x => x.Status == 429 && !x.RetryAfter),
            ["answers_without_ratelimit_headers"] = answers.Count(x => !x.Headers),
            ["accepted_ceiling"] = Stats.N(ceiling, 0),
            ["bucket_round_trips"] = roundTrips,
            ["round_trips_per_accepted"] = Stats.N(roundTrips / Math.Max(1, accepted), 3),
            ["round_trips_per_request"] = Stats.N(roundTrips / Math.Max(1, answers.Count), 4),
        };
    }

    public static async Task<JsonObject> FairnessAsync(BenchContext ctx, ServiceProcess svc, string adminKey, IReadOnlyList<byte[]> images)
    {
        var (idA, keyA) = await svc.CreateTenantWithIdAsync(adminKey, "bench-fair-a");
        var (_, keyB) = await svc.CreateTenantWithIdAsync(adminKey, "bench-fair-b");
        using var loadA = new HttpLoad(svc.BaseUrl, keyA, svc.Proc);
        using var loadB = new HttpLoad(svc.BaseUrl, keyB, svc.Proc);

        var sustainable = (await loadA.ClosedAsync(images, 16, ctx.D(8, 5))).Throughput;
        var idle = await PacedAsync(loadB, images, ctx.D(15, 10));
        Log.Info($"part 9: sustainable {sustainable:F1} img/s; B alone, one request per 200 ms: p95 {idle.P(95):F1} ms");

        // A at four times its share of two tenants (2x what the service sustains), open loop:
        // first unmetered (only the scheduler stands between A and B), then on a plan of its share.
        var (flood, duringFlood) = await FloodAsync(loadA, loadB, images, 2 * sustainable, ctx);
        Log.Info($"part 9: A (unmetered) floods at {2 * sustainable:F0} req/s ({Codes(flood)}); B p95 {duringFlood.P(95):F1} ms ({duringFlood.P(95) / idle.P(95):F2}x idle), codes {Codes(duringFlood)}");
        await svc.SetPlanAsync(adminKey, idA, new { requests_per_second = Math.Round(sustainable / 2, 1), burst = (int)Math.Max(1, sustainable / 2) });
        var (planned, duringPlanned) = await FloodAsync(loadA, loadB, images, 2 * sustainable, ctx);
        Log.Info($"part 9: A on a plan of its share ({sustainable / 2:F0}/s) floods at {2 * sustainable:F0} req/s ({Codes(planned)}); B p95 {duringPlanned.P(95):F1} ms ({duringPlanned.P(95) / idle.P(95):F2}x idle), codes {Codes(duringPlanned)}");

        // A submits a 500-image job while B keeps sending (back on the unmetered plan: the job is about background work).
        await svc.SetPlanAsync(adminKey, idA, new { @base = "unmetered" });
        await Task.Delay(500);
        var job = await SubmitJobAsync(svc, keyA, images, 500);
        var duringJob = await PacedAsync(loadB, images, ctx.D(13, 8));
        Log.Info($"part 9: during A's 500-image job ({job}): B p95 {duringJob.P(95):F1} ms ({duringJob.P(95) / idle.P(95):F2}x idle), codes {Codes(duringJob)}");
        await CancelJobAsync(svc, keyA, job);

        return new JsonObject
        {
            ["sustainable_images_per_s"] = Stats.N(sustainable, 1),
            ["b_idle"] = idle.ToJson(),
            ["a_flood_rate_per_s"] = Stats.N(2 * sustainable, 1),
            ["a_flood"] = flood.ToJson(),
            ["b_during_flood"] = duringFlood.ToJson(new JsonObject { ["p95_vs_idle"] = Stats.N(duringFlood.P(95) / idle.P(95), 3), ["refused_503"] = duringFlood.Samples.Count(s => s.Status == 503) }),
            ["a_flood_on_plan"] = planned.ToJson(),
            ["b_during_flood_on_plan"] = duringPlanned.ToJson(new JsonObject { ["p95_vs_idle"] = Stats.N(duringPlanned.P(95) / idle.P(95), 3), ["refused_503"] = duringPlanned.Samples.Count(s => s.Status == 503) }),
            ["b_during_job"] = duringJob.ToJson(new JsonObject { ["p95_vs_idle"] = Stats.N(duringJob.P(95) / idle.P(95), 3), ["refused_503"] = duringJob.Samples.Count(s => s.Status == 503) }),
        };
    }

    private static async Task<(Phase Flood, Phase B)> FloodAsync(HttpLoad loadA, HttpLoad loadB, IReadOnlyList<byte[]> images, double rate, BenchContext ctx)
    {
        var floodTask = loadA.OpenAsync(images, rate, ctx.D(15, 10));
        await Task.Delay(1000);
        var b = await PacedAsync(loadB, images, ctx.D(13, 8));
        var (flood, _) = await floodTask;
        return (flood, b);
    }

    private static Task<Phase> PacedAsync(HttpLoad load, IReadOnlyList<byte[]> images, TimeSpan duration) =>
        PacedAsync(load, i => images[i % images.Count], duration);

    /// <summary>One request every 200 ms, each waited for: a tenant with light, steady traffic; <paramref name="photo"/> gives the i-th photo.</summary>
    internal static async Task<Phase> PacedAsync(HttpLoad load, Func<int, byte[]> photo, TimeSpan duration)
    {
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            samples.Add(await load.SendAsync(photo(i), clock));
            next += TimeSpan.FromMilliseconds(200);
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        return new Phase { Samples = samples, WindowS = clock.Elapsed.TotalSeconds };
    }

    private static async Task<string> SubmitJobAsync(ServiceProcess svc, string key, IReadOnlyList<byte[]> images, int count)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        using var content = new MultipartFormDataContent();
        for (var i = 0; i < count; i++)
        {
            var part = new ByteArrayContent(images[i % images.Count]);
            part.Headers.ContentType = new("image/jpeg");
            content.Add(part, "images", $"{i}.jpg");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{svc.BaseUrl}/v1/jobs") { Content = content };
        request.Headers.Add("X-Api-Key", key);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return response.StatusCode == HttpStatusCode.Accepted ? body.GetProperty("id").GetString()! : throw new InvalidOperationException($"job refused: {body}");
    }

    private static async Task CancelJobAsync(ServiceProcess svc, string key, string jobId)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{svc.BaseUrl}/v1/jobs/{jobId}");
        request.Headers.Add("X-Api-Key", key);
        using var _ = await http.SendAsync(request);
    }

    private static async Task<double> RoundTripsAsync(params ServiceProcess[] services)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        double total = 0;
        foreach (var s in services)
        {
            var text = await http.GetStringAsync($"{s.BaseUrl}/metrics");
            if (RoundTripsMetric().Match(text) is { Success: true } m)
            {
                total += double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static string Codes(Phase p) => string.Join(' ', p.Samples.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"));

    [GeneratedRegex(@"^detector_rate_limit_db_round_trips_total ([0-9.e+]+)$", RegexOptions.Multiline)]
    private static partial Regex RoundTripsMetric();
}
