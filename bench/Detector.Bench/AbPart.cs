using System.Text.Json.Nodes;

namespace Detector.Bench;

/// <summary>
/// Part "ab": the build of another checkout (BENCH_AB_ROOT, built in Release: the code before a
/// change) against this one, part 3's c=1 p50 and c=16 throughput, interleaved round by round in
/// one run so that drifting machine load hits both alike. Each side has its own database (the
/// older build does not know this one's migrations). Every request is a distinct photo: a COCO
/// photo with its index drawn into its pixels and re-encoded, never a repeat of bytes the store
/// has seen.
/// </summary>
internal static class AbPart
{
    public static async Task<JsonObject> RunAsync(BenchContext ctx, string adminKey, string dataDir, IReadOnlyList<byte[]> coco)
    {
        var beforeRoot = Environment.GetEnvironmentVariable("BENCH_AB_ROOT") is { Length: > 0 } r ? Path.GetFullPath(r)
            : throw new InvalidOperationException("part ab needs BENCH_AB_ROOT: a checkout of the code before the change, built with dotnet build -c Release");
        var beforeDb = Environment.GetEnvironmentVariable("BENCH_AB_CONNECTION_STRING") is { Length: > 0 } cs ? cs
            : throw new InvalidOperationException("BENCH_AB_CONNECTION_STRING is not set (bench/run.sh sets it with BENCH_AB_ROOT)");
        var rounds = ctx.Quick ? 2 : 4;
        var window = ctx.D(10, 5);
        var pool = new DistinctPhotos(coco, "part ab", int.TryParse(Environment.GetEnvironmentVariable("BENCH_AB_IMAGES"), out var n) ? n : ctx.Quick ? 7000 : 14000);

        // The older build reads its admin key and key-hash secret from the section it knew (Detector).
        var beforeEnv = new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = beforeDb,
            ["Detector__AdminApiKey"] = adminKey,
            ["Detector__ApiKeyHashSecret"] = "bench-api-key-hash-secret-" + adminKey,
        };
        await using var before = await ServiceProcess.StartAsync(ctx, "ab-before", adminKey, Path.Combine(dataDir, "ab-before"), beforeEnv, beforeRoot);
        await using var after = await ServiceProcess.StartAsync(ctx, "ab-after", adminKey, Path.Combine(dataDir, "ab-after"), new Dictionary<string, string>());
        var sides = new[] { ("before", before), ("after", after) };
        var loads = new Dictionary<string, HttpLoad>();
        foreach (var (name, svc) in sides)
        {
            loads[name] = new HttpLoad(svc.BaseUrl, await svc.CreateTenantAsync(adminKey, "bench-ab-" + name), svc.Proc);
            await pool.RunAsync(loads[name], 16, ctx.D(5, 3));
        }

        var rows = new JsonArray();
        var p50 = new Dictionary<string, List<double>> { ["before"] = [], ["after"] = [] };
        var rate = new Dictionary<string, List<double>> { ["before"] = [], ["after"] = [] };
        for (var round = 0; round < rounds; round++)
        {
            // Alternate which side goes first, so neither always runs on the warmer or quieter half.
            foreach (var (name, _) in round % 2 == 0 ? sides : sides.Reverse())
            {
                var load = loads[name];
                var one = await pool.RunAsync(load, 1, window);
                var sixteen = await pool.RunAsync(load, 16, window);
                p50[name].Add(one.P(50));
                rate[name].Add(sixteen.Throughput);
                rows.Add(new JsonObject
                {
                    ["round"] = round, ["side"] = name,
                    ["c1_p50_ms"] = Stats.N(one.P(50), 2), ["c1_images_per_s"] = Stats.N(one.Throughput, 2),
                    ["c16_images_per_s"] = Stats.N(sixteen.Throughput, 2), ["c16_p95_ms"] = Stats.N(sixteen.P(95), 2),
                    ["non_200"] = one.Samples.Count(s => s.Status != 200) + sixteen.Samples.Count(s => s.Status != 200),
                    ["loadavg"] = LoadAverage(),
                });
                Log.Info($"part ab: round {round} {name,-6}: c=1 p50 {one.P(50),6:F1} ms, c=16 {sixteen.Throughput,6:F1} img/s (p95 {sixteen.P(95):F0} ms)");
            }
        }

        foreach (var load in loads.Values)
        {
            load.Dispose();
        }

        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var result = new JsonObject
        {
            ["before_root"] = beforeRoot,
            ["rounds"] = rows,
            ["distinct_images"] = pool.Size,
            ["requests_sent"] = pool.Used,
            ["repeats"] = Math.Max(0, pool.Used - pool.Size),
            ["c1_p50_ms_before"] = Stats.N(Median(p50["before"]), 2),
            ["c1_p50_ms_after"] = Stats.N(Median(p50["after"]), 2),
            ["c1_p50_ratio_after_over_before"] = Stats.N(Median(p50["after"]) / Median(p50["before"]), 3),
            ["c16_images_per_s_before"] = Stats.N(Median(rate["before"]), 2),
            ["c16_images_per_s_after"] = Stats.N(Median(rate["after"]), 2),
            ["c16_ratio_after_over_before"] = Stats.N(Median(rate["after"]) / Median(rate["before"]), 3),
        };
        Log.Info($"part ab: medians of {rounds} rounds: c=1 p50 before {result["c1_p50_ms_before"]} ms, after {result["c1_p50_ms_after"]} ms (x{result["c1_p50_ratio_after_over_before"]}); c=16 before {result["c16_images_per_s_before"]} img/s, after {result["c16_images_per_s_after"]} img/s (x{result["c16_ratio_after_over_before"]}); {pool.Used} requests over {pool.Size} distinct photos");
        return result;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";
}
