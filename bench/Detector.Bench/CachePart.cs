using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Detector.Bench;

/// <summary>
/// Part "cache" (issue 23, ADR 0017): the per-tenant result cache over HTTP at c=1, on distinct
/// photos. Tenant A sends each photo once (misses: the model runs), then each again with another
/// min_score (hits); tenant B sends A's photos with A's second thresholds (never A's hits: B's own
/// misses, the fresh runs A's hits must equal); then A sends the photos with one pixel block
/// changed again (misses). Interleaved per photo, so a drift of the machine hits both sides.
/// </summary>
internal static class CachePart
{
    private const string RepeatQuery = "?min_score=0.3&iou=0.5&max_detections=50";

    public static async Task<JsonObject> RunAsync(BenchContext ctx, string adminKey, string dataDir)
    {
        var count = ctx.Quick ? 120 : 300;
        var photos = new DistinctPhotos(ctx.LoadAllCoco().Select(i => i.Bytes).ToList(), "part cache", (2 * count) + 20);
        await using var svc = await ServiceProcess.StartAsync(ctx, "cache", adminKey, Path.Combine(dataDir, "cache"), new Dictionary<string, string> { ["Detection__ResultCacheMaxBytes"] = (64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var a = Client(svc.BaseUrl, await svc.CreateTenantAsync(adminKey, "bench-cache-a"));
        using var b = Client(svc.BaseUrl, await svc.CreateTenantAsync(adminKey, "bench-cache-b"));

        // Warm-up on photos no measured request sends.
        for (var i = 0; i < 20; i++)
        {
            await SendAsync(a, photos.All[count + i], "");
        }

        var (missMs, hitMs, otherMs, changedMs) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        int hits = 0, otherHits = 0, changedHits = 0, equal = 0, failed = 0;
        for (var i = 0; i < count; i++)
        {
            var photo = photos.All[i];
            var miss = await SendAsync(a, photo, "");
            var hit = await SendAsync(a, photo, RepeatQuery);
            var fresh = await SendAsync(b, photo, RepeatQuery);
            var changed = await SendAsync(a, photos.All[count + 20 + i], "");
            if (miss.Body is null || hit.Body is null || fresh.Body is null || changed.Body is null)
            {
                failed++;
                continue;
            }

            missMs.Add(miss.Ms);
            hitMs.Add(hit.Ms);
            otherMs.Add(fresh.Ms);
            changedMs.Add(changed.Ms);
            hits += IsHit(hit.Body) ? 1 : 0;
            otherHits += IsHit(fresh.Body) ? 1 : 0;
            changedHits += IsHit(changed.Body) ? 1 : 0;
            equal += Detections(hit.Body) == Detections(fresh.Body) ? 1 : 0;
        }

        var result = new JsonObject
        {
            ["photos"] = count,
            ["failed"] = failed,
            ["miss_p50_ms"] = Stats.N(Stats.Percentile(missMs, 50), 2),
            ["hit_p50_ms"] = Stats.N(Stats.Percentile(hitMs, 50), 2),
            ["hit_p95_ms"] = Stats.N(Stats.Percentile(hitMs, 95), 2),
            ["hits"] = hits,
            ["hits_equal_to_fresh_run"] = equal,
            ["other_tenant_p50_ms"] = Stats.N(Stats.Percentile(otherMs, 50), 2),
            ["other_tenant_hits"] = otherHits,
            ["changed_pixels_hits"] = changedHits,
        };
        Log.Info($"part cache: {count} photos; miss p50 {Stats.Percentile(missMs, 50):F1} ms, hit p50 {Stats.Percentile(hitMs, 50):F1} ms (p95 {Stats.Percentile(hitMs, 95):F1}); hits {hits}/{count}, equal to a fresh run {equal}; other tenant's hits {otherHits}, changed pixels' hits {changedHits}");
        return result;
    }

    private static HttpClient Client(string baseUrl, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task<(double Ms, JsonElement? Body)> SendAsync(HttpClient client, byte[] photo, string query)
    {
        var started = Stopwatch.GetTimestamp();
        using var content = new ByteArrayContent(photo);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.PostAsync("/v1/detect" + query, content);
        var body = await response.Content.ReadAsStringAsync();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return response.IsSuccessStatusCode ? (ms, JsonDocument.Parse(body).RootElement.Clone()) : (ms, null);
    }

    private static bool IsHit(JsonElement? result) =>
        result is { } r && r.TryGetProperty("cache", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() == "hit";

    private static string Detections(JsonElement? result) => result?.GetProperty("detections").GetRawText() ?? "";
}
