using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Detector.Bench;

/// <summary>
/// Part "shadow" (issue 23, ADR 0019): what a shadow version costs the requests it shadows. One
/// service, the served model and a second version of it (the same weights, registered as
/// <c>bench-shadow</c>); c=1 on distinct photos, in blocks alternating without and with the
/// <c>shadow</c> alias (so a drift of the machine hits both sides); p50 and p95 of each side, the
/// comparisons that ran and were dropped, and the rollout view's agreement figures. The version and
/// alias are removed at the end (the bench database outlives the part).
/// </summary>
internal static class ShadowPart
{
    private const string Version = "bench-shadow";

    public static async Task<JsonObject> RunAsync(BenchContext ctx, string adminKey, string dataDir)
    {
        var blocks = ctx.Quick ? 6 : 12;
        const int perBlock = 25;
        var photos = new DistinctPhotos(ctx.LoadAllCoco().Select(i => i.Bytes).ToList(), "part shadow", (2 * blocks * perBlock) + 20);
        var artifacts = Path.Combine(dataDir, "shadow-artifacts");
        Directory.CreateDirectory(artifacts);
        File.Copy(Path.Combine(ctx.ModelsDir, ctx.Model + ".onnx"), Path.Combine(artifacts, "shadow.onnx"), overwrite: true);
        await using var svc = await ServiceProcess.StartAsync(ctx, "shadow", adminKey, Path.Combine(dataDir, "shadow"), new Dictionary<string, string>
        {
            ["Models__ArtifactDirectory"] = artifacts,
            ["Inference__UnloadGraceSeconds"] = "1",
        });
        using var admin = new HttpClient { BaseAddress = new Uri(svc.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        admin.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        using var client = new HttpClient { BaseAddress = new Uri(svc.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", await svc.CreateTenantAsync(adminKey, "bench-shadow"));

        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(ctx.Root, "Detector.Web", "model-manifests", ctx.Model + ".json"))).RootElement;
        using (var registered = await admin.PostAsJsonAsync($"/v1/admin/models/{ctx.Model}/versions", new { artifact = "store:shadow.onnx", version = Version, manifest }))
        {
            if (registered.StatusCode is not (System.Net.HttpStatusCode.Created or System.Net.HttpStatusCode.Conflict))
            {
                throw new InvalidOperationException($"registering the shadow version: {(int)registered.StatusCode} {await registered.Content.ReadAsStringAsync()}");
            }
        }

        await WaitLoadedAsync(client, 2);
        for (var i = 0; i < 20; i++)
        {
            await SendAsync(client, photos.All[(2 * blocks * perBlock) + i]);
        }

        var (without, with) = (new List<double>(), new List<double>());
        var failed = 0;
        var next = 0;
        for (var block = 0; block < 2 * blocks; block++)
        {
            var shadowed = block % 2 == 1;
            await SetShadowAsync(admin, ctx.Model, shadowed);
            await Task.Delay(300); // the alias move reaches the instance through NOTIFY
            for (var i = 0; i < perBlock; i++)
            {
                var (ms, ok) = await SendAsync(client, photos.All[next++]);
                if (!ok)
                {
                    failed++;
                    continue;
                }

                (shadowed ? with : without).Add(ms);
            }
        }

        await Task.Delay(1000); // the last comparisons finish
        var rollout = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/rollouts/{ctx.Model}"))!;
        var metrics = await client.GetStringAsync("/metrics");
        await SetShadowAsync(admin, ctx.Model, false);
        using (await admin.PostAsync($"/v1/admin/models/{ctx.Model}/versions/{Version}/archive", null))
        {
        }

        var shadowComparison = rollout["comparisons"]!.AsArray().FirstOrDefault(c => c!["candidate"]!.GetValue<string>() == "shadow");
        var (p50Without, p50With) = (Stats.Percentile(without, 50), Stats.Percentile(with, 50));
        var result = new JsonObject
        {
            ["requests_per_side"] = without.Count,
            ["failed"] = failed,
            ["p50_without_shadow_ms"] = Stats.N(p50Without, 2),
            ["p50_with_shadow_ms"] = Stats.N(p50With, 2),
            ["p50_ratio"] = Stats.N(p50With / p50Without, 3),
            ["p95_without_shadow_ms"] = Stats.N(Stats.Percentile(without, 95), 2),
            ["p95_with_shadow_ms"] = Stats.N(Stats.Percentile(with, 95), 2),
            ["comparisons"] = Count(metrics, "compared"),
            ["dropped_busy"] = Count(metrics, "dropped_busy"),
            ["dropped_queue_full"] = Count(metrics, "dropped_queue_full"),
            ["rollout_shadow"] = shadowComparison?.DeepClone(),
        };
        Log.Info($"part shadow: c=1 p50 without {p50Without:F1} ms, with {p50With:F1} ms (x{p50With / p50Without:F3}); comparisons {result["comparisons"]}, dropped busy {result["dropped_busy"]}; agreement {shadowComparison?["agreement"]}");
        return result;
    }

    private static async Task SetShadowAsync(HttpClient admin, string model, bool on)
    {
        using var response = on
            ? await admin.PutAsJsonAsync($"/v1/admin/models/{model}/aliases/shadow", new { version = Version, reason = "bench shadow block" })
            : await admin.DeleteAsync($"/v1/admin/models/{model}/aliases/shadow?reason=bench");
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"shadow alias: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task WaitLoadedAsync(HttpClient client, int versions)
    {
        var watch = Stopwatch.StartNew();
        while (!(await client.GetStringAsync("/metrics")).Contains($"detector_model_versions_loaded {versions}", StringComparison.Ordinal))
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("the shadow version did not load");
            }

            await Task.Delay(200);
        }
    }

    private static double Count(string metrics, string outcome) =>
        metrics.Split('\n').Where(l => l.StartsWith("detector_rollout_comparisons_total{", StringComparison.Ordinal) && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<(double Ms, bool Ok)> SendAsync(HttpClient client, byte[] photo)
    {
        var started = Stopwatch.GetTimestamp();
        using var content = new ByteArrayContent(photo);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.PostAsync("/v1/detect", content);
        await response.Content.ReadAsByteArrayAsync();
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.IsSuccessStatusCode);
    }
}
