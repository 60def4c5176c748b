using System.Globalization;
using System.Text.Json.Nodes;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Detector.Bench;

/// <summary>
/// Part "cost" (issue 22): what a real photo costs over HTTP with storage on, against what this
/// machine must spend anyway, in one run. First the in-process pipeline (decode and inference
/// through IObjectDetector, all cores, no HTTP, no store) on the same kinds of photos; then the
/// service (its default plan stores images, in PostgreSQL) on distinct photos: 640x480 at c=1,
/// 12 MP at c=1, c=16, and a tenant A flooding with 32 clients while B sends one request every
/// 200 ms. Every request is a distinct photo (pixel data changed).
/// </summary>
internal static class CostPart
{
    public static async Task<JsonObject> RunAsync(BenchContext ctx, string adminKey, string dataDir)
    {
        var window = ctx.D(12, 6);
        var small = new DistinctPhotos(ctx.LoadAllCoco().Select(i => i.Bytes).ToList(), "part cost 640x480", ctx.Quick ? 6000 : 12000);
        var large = new DistinctPhotos(Photos.Get12Mp(ctx).Select(p => p.Bytes).ToList(), "part cost 12 MP", ctx.Quick ? 160 : 320);

        // --- In process: the floor and the ceiling ---
        var inProcess = new JsonObject();
        double floorSmallP50, floorLargeP50, ceiling;
        using (var host = InProcess.BuildHost(ctx))
        {
            await host.StartAsync();
            try
            {
                await host.Services.GetRequiredService<IInferenceReadiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(3));
                var detector = host.Services.GetRequiredService<IObjectDetector>();
                await InProcess.RunClosed(detector, small.All, 16, ctx.D(4, 2), null);
                floorSmallP50 = await InProcessP50Async(detector, small.All, window);
                floorLargeP50 = await InProcessP50Async(detector, large.All, window);
                var samples = new List<(double Ms, int Batch)>();
                var elapsed = await InProcess.RunClosed(detector, small.All, 16, window, samples);
                ceiling = samples.Count / elapsed.TotalSeconds;
                inProcess["c1_p50_ms_640x480"] = Stats.N(floorSmallP50, 2);
                inProcess["c1_p50_ms_12mp"] = Stats.N(floorLargeP50, 2);
                inProcess["c16_images_per_s"] = Stats.N(ceiling, 1);
                Log.Info($"part cost: in process: c=1 p50 {floorSmallP50:F1} ms (640x480), {floorLargeP50:F1} ms (12 MP); c=16 ceiling {ceiling:F1} img/s");
            }
            finally
            {
                await host.StopAsync();
            }
        }

        // --- Over HTTP, storage on ---
        await using var svc = await ServiceProcess.StartAsync(ctx, "cost", adminKey, Path.Combine(dataDir, "cost"), new Dictionary<string, string>());
        using var load = new HttpLoad(svc.BaseUrl, await svc.CreateTenantAsync(adminKey, "bench-cost"), svc.Proc);
        // The service JITs (tier 0, then instrumented, then tier 1) for tens of seconds under load;
        // measured before that settles, its numbers carry compile time the in-process host, with
        // far less code, does not (perf: 13 % of the service's CPU in the JIT 20 s after start, 1 %
        // after 60 s). BENCH_COST_WARMUP_S sets the warm-up.
        await small.RunAsync(load, 16, double.TryParse(Environment.GetEnvironmentVariable("BENCH_COST_WARMUP_S"), CultureInfo.InvariantCulture, out var warm) ? TimeSpan.FromSeconds(warm) : ctx.D(40, 20));

        await small.RunAsync(load, 1, ctx.D(2, 1));
        var c1 = await small.RunAsync(load, 1, window);
        await large.RunAsync(load, 1, ctx.D(2, 1));
        var big = await large.RunAsync(load, 1, window);
        var overhead = big.Ok.Select(s => s.Ms - s.DecodeMs - s.InferMs - s.PostMs).ToList();
        var c16 = await small.RunAsync(load, 16, window);
        Log.Info($"part cost: http c=1 p50 {c1.P(50):F1} ms (floor {floorSmallP50:F1} + {c1.P(50) - floorSmallP50:F1}); 12 MP p50 {big.P(50):F1} ms, minus the server's decode+inference+postprocess: p50 {Stats.Percentile(overhead, 50):F1} ms; c=16 {c16.Throughput:F1} img/s = {c16.Throughput / ceiling:F2} of the ceiling");

        var fairness = await FairnessAsync(ctx, svc, adminKey, small);
        var result = new JsonObject
        {
            ["in_process"] = inProcess,
            ["http_c1_640x480"] = c1.ToJson(new JsonObject { ["p50_minus_in_process_ms"] = Stats.N(c1.P(50) - floorSmallP50, 2), ["storage"] = StorageCounts(c1) }),
            ["http_c1_12mp"] = big.ToJson(new JsonObject
            {
                ["photo_mean_bytes"] = (long)large.MeanBytes,
                ["p50_client_minus_server_work_ms"] = Stats.N(Stats.Percentile(overhead, 50), 2),
                ["server_decode_p50_ms"] = Stats.N(Stats.Percentile([.. big.Ok.Select(s => s.DecodeMs)], 50), 2),
                ["storage"] = StorageCounts(big),
            }),
            ["http_c16"] = c16.ToJson(new JsonObject { ["ratio_to_in_process_ceiling"] = Stats.N(c16.Throughput / ceiling, 3), ["storage"] = StorageCounts(c16) }),
            ["fairness"] = fairness,
            ["distinct_photos"] = new JsonObject { ["640x480"] = small.Size, ["12mp"] = large.Size, ["sent_640x480"] = small.Used, ["sent_12mp"] = large.Used, ["repeats"] = small.Repeats + large.Repeats },
        };
        return result;
    }

    private static async Task<double> InProcessP50Async(IObjectDetector detector, IReadOnlyList<byte[]> photos, TimeSpan window)
    {
        await InProcess.RunClosed(detector, photos, 1, TimeSpan.FromSeconds(1), null);
        var samples = new List<(double Ms, int Batch)>();
        await InProcess.RunClosed(detector, photos, 1, window, samples);
        return Stats.Percentile([.. samples.Select(s => s.Ms)], 50);
    }

    /// <summary>A floods with 32 closed-loop clients; B sends one request every 200 ms, alone first.</summary>
    private static async Task<JsonObject> FairnessAsync(BenchContext ctx, ServiceProcess svc, string adminKey, DistinctPhotos photos)
    {
        using var loadA = new HttpLoad(svc.BaseUrl, await svc.CreateTenantAsync(adminKey, "bench-cost-a"), svc.Proc);
        using var loadB = new HttpLoad(svc.BaseUrl, await svc.CreateTenantAsync(adminKey, "bench-cost-b"), svc.Proc);
        var idle = await TenancyParts.PacedAsync(loadB, _ => photos.Next(), ctx.D(12, 6));
        var flood = photos.RunAsync(loadA, 32, ctx.D(15, 8));
        await Task.Delay(1500);
        var during = await TenancyParts.PacedAsync(loadB, _ => photos.Next(), ctx.D(12, 6));
        var a = await flood;
        var ratio = during.P(95) / idle.P(95);
        var refused = during.Samples.Count(s => s.Status != 200);
        Log.Info($"part cost: fairness: B p95 {idle.P(95):F1} ms idle, {during.P(95):F1} ms while A floods with 32 clients ({a.Throughput:F1} img/s) = {ratio:F2}x; B refused {refused}");
        return new JsonObject
        {
            ["b_idle"] = idle.ToJson(),
            ["a_flood_32_clients"] = a.ToJson(),
            ["b_during_flood"] = during.ToJson(new JsonObject { ["p95_vs_idle"] = Stats.N(ratio, 3), ["refused"] = refused }),
        };
    }

    private static JsonObject StorageCounts(Phase phase) =>
        new(phase.Ok.GroupBy(s => s.Storage ?? "none").Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Count())));
}
