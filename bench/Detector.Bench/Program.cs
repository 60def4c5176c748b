using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Detector.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// Usage:
//   Detector.Bench all [--quick] [--out DIR] [--root DIR] [--parts 1,2,3,4,5,6,7,8,9,10,micro]
//   Detector.Bench micro [BenchmarkDotNet args, e.g. --filter '*']
var command = args.Length > 0 ? args[0] : "help";
string? Opt(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var root = Path.GetFullPath(Opt("--root") ?? FindRoot(Directory.GetCurrentDirectory()));

if (command == "micro")
{
    var artifacts = Path.Combine(root, "bench", "results", "micro-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
    var bdnArgs = args.Skip(1).Where(a => a != "--root").ToArray();
    return BatchLoopBenchmarks.RunBenchmarkDotNet(bdnArgs.Length == 0 ? ["--filter", "*"] : bdnArgs, artifacts);
}

if (command != "all")
{
    Console.Error.WriteLine("usage: Detector.Bench all [--quick] [--out DIR] [--parts 1,2,...,10,micro] | micro [BenchmarkDotNet args]");
    return 2;
}

var quick = args.Contains("--quick");
var outDir = Path.GetFullPath(Opt("--out") ?? Path.Combine(root, "bench", "results", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
Directory.CreateDirectory(outDir);
var parts = (Opt("--parts") ?? "1,2,3,4,5,6,7,8,9,10,11,12,cost,cache,micro").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
var ctx = new BenchContext { Root = root, OutDir = outDir, Quick = quick };
var R = ctx.Results;
var started = Stopwatch.StartNew();
R["meta"] = new JsonObject
{
    ["started_at"] = DateTimeOffset.Now.ToString("O"),
    ["quick"] = quick,
    ["model"] = ctx.Model,
    ["cores"] = Environment.ProcessorCount,
    ["commit"] = Git(root, "rev-parse", "--short", "HEAD"),
    ["load_avg_start"] = LoadAverage.Read(),
    ["dotnet"] = Environment.Version.ToString(),
    ["max_batch_delay_ms"] = MaxDelayMs(ctx),
    ["max_batch_size"] = InProcess.EffectiveMaxBatch(ctx),
};
Log.Info($"results -> {outDir} (quick={quick}, load average {LoadAverage.Read()})");

void Save()
{
    ((JsonObject)R["meta"]!)["elapsed_s"] = Math.Round(started.Elapsed.TotalSeconds, 1);
    File.WriteAllText(Path.Combine(outDir, "results.json"), R.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}

var exitCode = 0;
var dataDir = Path.Combine(outDir, "service-data");
try
{
    if (parts.Contains("1"))
    {
        Log.Info("part 1: raw ONNX Runtime ceiling");
        R["part1_raw"] = await InProcess.RawCeiling(ctx);
        Save();
    }

    if (parts.Contains("micro"))
    {
        Log.Info("micro: allocation probe of the batch loop (BatchScheduler + fake executor)");
        R["micro_alloc_probe"] = BatchLoopBenchmarks.Probe(quick ? 1000 : 3000);
        Save();
    }

    if (parts.Contains("2"))
    {
        Log.Info("part 2: in-process pipeline (IObjectDetector, no HTTP)");
        R["part2_pipeline"] = await InProcess.Pipeline(ctx);
        Save();
    }

    var needService = parts.Overlaps(["3", "4", "5", "6", "7", "9"]);
    if (needService)
    {
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var coco = ctx.LoadAllCoco().Select(i => i.Bytes).ToList();
        Directory.CreateDirectory(dataDir);

        // --- Service A: batching on (the shipped configuration) ---
        await using (var svc = await ServiceProcess.StartAsync(ctx, "batching-on", adminKey, dataDir, new Dictionary<string, string>()))
        {
            var key = await svc.CreateTenantAsync(adminKey, "bench-on");
            using var load = new HttpLoad(svc.BaseUrl, key, svc.Proc);
            R["service_on"] = new JsonObject { ["pid"] = svc.Pid, ["log"] = svc.LogPath, ["rss_after_ready_mib"] = Stats.N(svc.Proc.RssMiB(), 1) };
            Log.Info("warm-up at c=16");
            await load.ClosedAsync(coco, 16, ctx.D(5, 3));

            if (parts.Contains("3"))
            {
                var rows = new JsonArray();
                foreach (var c in new[] { 1, 4, 16, 64 })
                {
                    await load.ClosedAsync(coco, c, ctx.D(2, 1));
                    var p = await load.ClosedAsync(coco, c, ctx.D(20, 8));
                    rows.Add(p.ToJson(new JsonObject { ["concurrency"] = c }));
                    Log.Info($"part 3 http: c={c,2}: {p.Throughput,6:F1} img/s, p50 {p.P(50),6:F1} p95 {p.P(95),6:F1} p99 {p.P(99),6:F1} ms, batch {p.MeanBatch:F2}, queue p99 {p.QueueP(99):F1} ms, cpu {p.CpuPercent:F0}%, rss {p.RssEndMiB:F0} MiB, codes {string.Join(' ', p.Samples.GroupBy(s => s.Status).Select(g => $"{g.Key}x{g.Count()}"))}");
                    Save();
                }

                R["part3_http"] = new JsonObject { ["concurrency"] = rows };
                Save();

                // The same closed loops with clients that resend at once after a 503: admission by
                // deadline must not turn them into a refusal storm (goodput >= 0.9 of the polite run).
                var rude = new JsonArray();
                foreach (var c in new[] { 16, 64 })
                {
                    // The polite clients run on both sides of the rude ones (half the window each) and
                    // their mean is the reference: a machine whose speed drifts during the phase moves
                    // both sides alike instead of favouring whichever ran first.
                    var before = await load.ClosedAsync(coco, c, ctx.D(10, 4));
                    var p = await load.ClosedAsync(coco, c, ctx.D(20, 8), rude: true);
                    var after = await load.ClosedAsync(coco, c, ctx.D(10, 4));
                    var politeRate = (before.Throughput + after.Throughput) / 2;
                    var politeP95 = Math.Max(before.P(95), after.P(95));
                    var politeRefused = before.Samples.Count(s => s.Status != 200) + after.Samples.Count(s => s.Status != 200);
                    rude.Add(p.ToJson(new JsonObject
                    {
                        ["concurrency"] = c,
                        ["polite_images_per_s"] = Stats.N(politeRate, 2),
                        ["polite_before_images_per_s"] = Stats.N(before.Throughput, 2),
                        ["polite_after_images_per_s"] = Stats.N(after.Throughput, 2),
                        ["polite_p95_ms"] = Stats.N(politeP95, 2),
                        ["refused"] = p.Samples.Count(s => s.Status != 200),
                        ["refused_polite"] = politeRefused,
                    }));
                    Log.Info($"part 3 rude: c={c,2}: resend-at-once {p.Throughput,6:F1} img/s (p95 {p.P(95):F1} ms, {p.Samples.Count(s => s.Status != 200)} refused) vs honouring Retry-After {politeRate,6:F1} img/s (before {before.Throughput:F1}, after {after.Throughput:F1}; p95 {politeP95:F1} ms) = {p.Throughput / politeRate:F2}");
                    Save();
                }

                R["part3_rude"] = new JsonObject { ["concurrency"] = rude, ["sync_budget_ms"] = 500 };
                Save();
            }

            if (parts.Contains("5"))
            {
                Log.Info("part 5: sustainable load (closed loop c=16), then 3x that rate open loop, then the closed loop again");
                if (!parts.Contains("3"))
                {
                    // Alone, part 5 would start on a service a few seconds old, still getting faster
                    // (its first minute measured 45 img/s rising to 69 in one run): warm it like part 3 does.
                    await load.ClosedAsync(coco, 16, ctx.D(30, 15));
                }

                var steady = await load.ClosedAsync(coco, 16, ctx.D(10, 5));
                var rate = 3 * steady.Throughput;
                Log.Info($"part 5: sustainable {steady.Throughput:F1} img/s (rss mean {steady.RssMeanMiB:F0} MiB); open loop at {rate:F1} req/s");
                var (over, skipped) = await load.OpenAsync(coco, rate, ctx.D(30, 10));
                var alive = !svc.HasExited && await Live(svc.BaseUrl);
                Log.Info($"part 5: overload: {over.Samples.Count} sent, codes {string.Join(' ', over.Samples.GroupBy(s => s.Status).Select(g => $"{g.Key}x{g.Count()}"))}, accepted p95 {over.P(95):F1} ms, rss peak {over.RssPeakMiB:F0} MiB, alive {alive}");
                var after = alive ? await load.ClosedAsync(coco, 16, ctx.D(10, 5)) : null;
                // Sustainable is the closed loop's throughput on both sides of the overload: on a
                // shared machine the rate drifts by more than the 10 % the goodput target allows, and
                // the mean of before and after cancels a drift that is steady over the three windows.
                var sustainable = after is null ? steady.Throughput : (steady.Throughput + after.Throughput) / 2;
                Log.Info($"part 5: goodput {over.Throughput:F1} img/s = {over.Throughput / sustainable:F2} of sustainable {sustainable:F1} (before {steady.Throughput:F1}, after {after?.Throughput:F1}); service CPU {steady.CpuPercent:F0} / {over.CpuPercent:F0} / {after?.CpuPercent:F0} %, load generator {steady.ClientCpuPercent:F0} / {over.ClientCpuPercent:F0} / {after?.ClientCpuPercent:F0} %");
                var five = new JsonObject
                {
                    ["steady"] = steady.ToJson(new JsonObject { ["rss_mean_mib"] = Stats.N(steady.RssMeanMiB, 1) }),
                    ["sustainable_images_per_s"] = Stats.N(sustainable, 1),
                    ["sustainable_before_images_per_s"] = Stats.N(steady.Throughput, 1),
                    ["goodput_over_sustainable"] = Stats.N(over.Throughput / sustainable, 3),
                    ["sync_budget_ms"] = 500,
                    ["open_loop_rate_per_s"] = Stats.N(rate, 1),
                    ["overload"] = over.ToJson(new JsonObject
                    {
                        ["client_skipped"] = skipped,
                        ["accepted_per_s"] = Stats.N(over.Throughput, 1),
                        ["rejected_503"] = over.Samples.Count(s => s.Status == 503),
                        ["rejected_503_without_retry_after"] = over.Samples.Count(s => s.Status == 503 && !s.RetryAfter),
                        ["other_status_or_error"] = over.Samples.Count(s => s.Status is not (200 or 503)),
                        ["rss_mean_mib"] = Stats.N(over.RssMeanMiB, 1),
                    }),
                    ["alive_after"] = alive,
                    ["after"] = after?.ToJson(),
                };
                R["part5_overload"] = five;
                if (after is not null)
                {
                    Log.Info($"part 5: afterwards {after.Throughput:F1} img/s ({after.Throughput / steady.Throughput:F2}x before)");
                }

                Save();
            }

            if (parts.Contains("9"))
            {
                Log.Info("part 9: fairness between tenants (A floods, then runs a 500-image job; B sends one request every 200 ms)");
                R["part9_fairness"] = await TenancyParts.FairnessAsync(ctx, svc, adminKey, coco);
                Save();
            }

            if (parts.Contains("7"))
            {
                Log.Info("part 7: 12 MP photos vs 640x480 originals at c=1");
                var photos = Photos.Get12Mp(ctx);
                var originals = ctx.LoadImages().Select(i => i.Bytes).ToList();
                var big = photos.Select(p => p.Bytes).ToList();
                var (w, h) = Photos.Size(big[0]);
                await load.ClosedAsync(originals, 1, ctx.D(2, 1));
                var small = await load.ClosedAsync(originals, 1, ctx.D(12, 6));
                await load.ClosedAsync(big, 1, ctx.D(2, 1));
                var large = await load.ClosedAsync(big, 1, ctx.D(12, 6));
                R["part7_12mp"] = new JsonObject
                {
                    ["photo_example_size"] = $"{w}x{h}",
                    ["photo_mean_bytes"] = (long)big.Average(b => b.Length),
                    ["original_mean_bytes"] = (long)originals.Average(b => b.Length),
                    ["originals"] = small.ToJson(),
                    ["photos_12mp"] = large.ToJson(),
                    ["p50_ratio"] = Stats.N(large.P(50) / small.P(50), 3),
                };
                Log.Info($"part 7: p50 {small.P(50):F1} ms (640x480) vs {large.P(50):F1} ms (12 MP) = {large.P(50) / small.P(50):F2}x");
                Save();
            }

            if (parts.Contains("6"))
            {
                var total = quick ? 4_000 : 20_000;
                const int first = 2_000;
                Log.Info($"part 6: soak, {total} requests at c=16");
                double rssFirst = double.NaN;
                var soak = await load.ClosedAsync(coco, 16, TimeSpan.FromSeconds(quick ? 150 : 400), total, n =>
                {
                    if (n == first)
                    {
                        rssFirst = svc.Proc.RssMiB();
                        Log.Info($"part 6: RSS after {first}: {rssFirst:F1} MiB");
                    }
                    else if (n % 5000 == 0)
                    {
                        Log.Info($"part 6: {n} answered, RSS {svc.Proc.RssMiB():F1} MiB");
                    }
                });
                var rssLast = svc.Proc.RssMiB();
                R["part6_soak"] = soak.ToJson(new JsonObject
                {
                    ["target_requests"] = total,
                    ["rss_after_2000_mib"] = Stats.N(rssFirst, 1),
                    ["rss_after_all_mib"] = Stats.N(rssLast, 1),
                    ["rss_growth"] = Stats.N(rssLast / rssFirst - 1, 4),
                });
                Log.Info($"part 6: {soak.Samples.Count} answered ({soak.Ok.Count()} ok) in {soak.WindowS:F0} s; RSS {rssFirst:F1} -> {rssLast:F1} MiB");
                Save();
            }

            // --- Part 4: batching off (service B, max batch 1) against on (service A), and the raw
            // batch-16 ceiling, in interleaved rounds so drifting machine load hits all three alike.
            if (parts.Contains("4"))
            {
                // The shipped service is one side; the other is started with only MaxBatchSize
                // changed: 1 when the shipped one batches, else BENCH_BATCH_ON (default 8).
                var shippedBatch = InProcess.EffectiveMaxBatch(ctx);
                var onBatch = shippedBatch > 1 ? shippedBatch : int.TryParse(Environment.GetEnvironmentVariable("BENCH_BATCH_ON"), CultureInfo.InvariantCulture, out var ob) ? ob : 8;
                var otherName = shippedBatch > 1 ? "batching-off" : "batching-on";
                await using var other = await ServiceProcess.StartAsync(ctx, otherName, adminKey, dataDir, new Dictionary<string, string> { ["Inference__MaxBatchSize"] = (shippedBatch > 1 ? 1 : onBatch).ToString(CultureInfo.InvariantCulture) });
                var otherKey = await other.CreateTenantAsync(adminKey, "bench-" + otherName);
                using var otherLoad = new HttpLoad(other.BaseUrl, otherKey, other.Proc);
                await otherLoad.ClosedAsync(coco, 16, ctx.D(5, 3));
                var (onLoad, offLoad) = shippedBatch > 1 ? (load, otherLoad) : (otherLoad, load);
                await using var raw = new RawSession(ctx);
                var rounds = quick ? 2 : 4;
                var window = ctx.D(5, 4);
                var onPhases = new List<Phase>();
                var offPhases = new List<Phase>();
                // Raw at batch 1 and 16 every round (the service's layout is fastest at one or the
                // other: single-threaded runs at 1, multi-threaded at a large batch); the better counts.
                var rawRates = new Dictionary<int, (long Images, double Seconds)> { [1] = (0, 0), [16] = (0, 0) };
                for (var round = 0; round < rounds; round++)
                {
                    foreach (var b in rawRates.Keys.ToList())
                    {
                        var (ri, rs) = raw.Measure(b, TimeSpan.FromSeconds(1.5));
                        rawRates[b] = (rawRates[b].Images + ri, rawRates[b].Seconds + rs);
                    }

                    await onLoad.ClosedAsync(coco, 16, TimeSpan.FromSeconds(1));
                    onPhases.Add(await onLoad.ClosedAsync(coco, 16, window));
                    await offLoad.ClosedAsync(coco, 16, TimeSpan.FromSeconds(1));
                    offPhases.Add(await offLoad.ClosedAsync(coco, 16, window));
                    Log.Info($"part 4 round {round + 1}/{rounds}: on {onPhases[^1].Throughput:F1}, off {offPhases[^1].Throughput:F1} img/s");
                }

                static Phase Merge(List<Phase> ps) => new()
                {
                    Samples = [.. ps.SelectMany(p => p.Samples)],
                    WindowS = ps.Sum(p => p.WindowS),
                    CpuPercent = ps.Sum(p => p.CpuPercent * p.WindowS) / ps.Sum(p => p.WindowS),
                    RssEndMiB = ps[^1].RssEndMiB,
                    RssPeakMiB = ps.Max(p => p.RssPeakMiB),
                    GcDelta = [ps.Sum(p => p.GcDelta[0]), ps.Sum(p => p.GcDelta[1]), ps.Sum(p => p.GcDelta[2])],
                };

                var on = Merge(onPhases);
                var offMerged = Merge(offPhases);
                R["part4_batching_off"] = offMerged.ToJson(new JsonObject { ["concurrency"] = 16, ["max_batch_size"] = 1, ["rounds"] = rounds });
                R["part4_batching_on_paired"] = on.ToJson(new JsonObject { ["concurrency"] = 16, ["max_batch_size"] = onBatch, ["rounds"] = rounds });
                var bestRaw = rawRates.MaxBy(kv => kv.Value.Images / kv.Value.Seconds);
                var rawRate = bestRaw.Value.Images / bestRaw.Value.Seconds;
                R["part4_raw_paired"] = new JsonObject
                {
                    ["images_per_s"] = Stats.N(rawRate, 1),
                    ["batch"] = bestRaw.Key,
                    ["batch1_images_per_s"] = Stats.N(rawRates[1].Images / rawRates[1].Seconds, 1),
                    ["batch16_images_per_s"] = Stats.N(rawRates[16].Images / rawRates[16].Seconds, 1),
                };
                R["part4_shipped"] = shippedBatch > 1 ? "on" : "off";
                Log.Info($"part 4: interleaved c=16: on (batch {onBatch}) {on.Throughput:F1}, off {offMerged.Throughput:F1} img/s ({on.Throughput / offMerged.Throughput:F2}x); raw (service layout, batch {bestRaw.Key}) {rawRate:F1} img/s");
                Save();
            }
        }
    }

    if (parts.Contains("8"))
    {
        Log.Info("part 8: one tenant on the standard plan hammering two instances (cluster-wide rate limit)");
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(dataDir);
        R["part8_rate_limit"] = await TenancyParts.RateLimitAsync(ctx, adminKey, dataDir, ctx.LoadAllCoco().Select(i => i.Bytes).ToList());
        Save();
    }

    if (parts.Contains("11"))
    {
        Log.Info("part 11: the degradation ladder under a load ramp (PicoDet-416 -> PicoDet-320 -> YOLOX-nano; NanoDet-m -> its INT8 version -> YOLOX-nano)");
        var ladders = new JsonObject();
        foreach (var setup in (LadderPart.Setup[])[LadderPart.PicoDet, LadderPart.NanoDetInt8])
        {
            var evalEnv = new Dictionary<string, string>();
            ladders[setup.Name] = await WithOwnServiceAsync("ladder-" + setup.Name, setup.ServiceEnv, async (svc, load, _, coco) =>
            {
                evalEnv["Compliance__AuditSubjectKey"] = svc.AuditSubjectKey;

                await Task.Delay(TimeSpan.FromSeconds(6)); // the warm-up's backlog engaged rungs: let them release first
                return await LadderPart.RunAsync(ctx, setup, svc, load, coco, evalEnv);
            }, before: setup.Compressed is null ? null : key => VariantsPart.ExportInt8Async(ctx, "nanodet_m_416", "int8", key));
        }

        R["part11_ladder"] = ladders;
        Save();
    }

    if (parts.Contains("12"))
    {
        Log.Info("part 12: CPU per refusal against CPU per detection (a one-place queue held by a trickling upload, clients resending at once)");
        R["part12_refusal_cost"] = await WithOwnServiceAsync("refusals", RefusalCostPart.ServiceEnv, (svc, load, key, coco) => RefusalCostPart.RunAsync(ctx, svc, load, key, coco));
        Save();
    }

    if (parts.Contains("ab"))
    {
        Log.Info("part ab: the build of BENCH_AB_ROOT (before a change) against this one, part 3's c=1 p50 and c=16 throughput, interleaved");
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        R["part_ab_before_after"] = await AbPart.RunAsync(ctx, adminKey, dataDir, ctx.LoadAllCoco().Select(i => i.Bytes).ToList());
        Save();
    }

    if (parts.Contains("cost"))
    {
        Log.Info("part cost: a real photo's cost with storage on, against the in-process pipeline, distinct photos (issue 22)");
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(dataDir);
        R["part_cost"] = await CostPart.RunAsync(ctx, adminKey, dataDir);
        Save();
    }

    if (parts.Contains("cache"))
    {
        Log.Info("part cache: the per-tenant result cache at c=1, misses and hits interleaved, distinct photos (issue 23)");
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(dataDir);
        R["part_cache"] = await CachePart.RunAsync(ctx, adminKey, dataDir);
        Save();
    }

    if (parts.Contains("shadow"))
    {
        Log.Info("part shadow: c=1 with and without a shadow version, interleaved blocks, distinct photos (issue 23)");
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(dataDir);
        R["part_shadow"] = await ShadowPart.RunAsync(ctx, adminKey, dataDir);
        Save();
    }

    if (parts.Contains("variants"))
    {
        Log.Info("part variants: INT8 and FP16 variants made by export, scored on val2017, raw ceiling and HTTP against the float models (issue 24)");
        var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(dataDir);
        R["part_variants"] = await VariantsPart.RunAsync(ctx, adminKey, dataDir);
        Save();
    }

    if (parts.Contains("10"))
    {
        Log.Info("part 10: image store backends, added latency of a put and a get (150 KB, 3 MB)");
        Directory.CreateDirectory(dataDir);
        R["part10_image_store"] = await ImageStorePart.RunAsync(ctx, dataDir, ctx.LoadAllCoco()[0].Bytes);
        Save();
    }

    if (parts.Contains("7"))
    {
        Log.Info("part 7: accuracy, eval --scale 1 and --scale 4");
        var m1 = await Eval(ctx, 1);
        var m4 = await Eval(ctx, 4);
        R["part7_accuracy"] = new JsonObject { ["map_scale1"] = m1, ["map_scale4"] = m4, ["delta"] = Stats.N(Math.Abs(m4 - m1), 4) };
        Log.Info($"part 7: mAP {m1:F4} (scale 1) vs {m4:F4} (scale 4)");
        Save();
    }
}
catch (Exception ex)
{
    Log.Info($"FAILED: {ex}");
    R["error"] = ex.ToString();
    exitCode = 1;
}
finally
{
    ((JsonObject)R["meta"]!)["load_avg_end"] = LoadAverage.Read();
    Save();
    try
    {
        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
    catch (IOException)
    {
    }
}

var summary = Summary.Write(ctx);
File.WriteAllText(Path.Combine(outDir, "summary.md"), summary);
Console.WriteLine(summary);
Log.Info($"done in {started.Elapsed.TotalMinutes:F1} min: {Path.Combine(outDir, "results.json")}, {Path.Combine(outDir, "summary.md")}");
return exitCode;

// A part with a service of its own (its own settings): started, given a tenant, warmed at c=4, stopped after.
async Task<JsonObject> WithOwnServiceAsync(string name, IReadOnlyDictionary<string, string> env, Func<ServiceProcess, HttpLoad, string, List<byte[]>, Task<JsonObject>> run, Func<string, Task>? before = null)
{
    var adminKey = "adm_bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    Directory.CreateDirectory(dataDir);
    if (before is not null)
    {
        await before(adminKey);
    }

    var coco = ctx.LoadAllCoco().Select(i => i.Bytes).ToList();
    await using var svc = await ServiceProcess.StartAsync(ctx, name, adminKey, dataDir, env);
    var key = await svc.CreateTenantAsync(adminKey, "bench-" + name);
    using var load = new HttpLoad(svc.BaseUrl, key, svc.Proc);
    await load.ClosedAsync(coco, 4, ctx.D(3, 2));
    return await run(svc, load, key, coco);
}

static string FindRoot(string dir)
{
    for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
    {
        if (File.Exists(Path.Combine(d.FullName, "Detector.sln")))
        {
            return d.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the repository (Detector.sln not found) or pass --root");
}

static string Git(string root, params string[] a)
{
    try
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var x in a)
        {
            psi.ArgumentList.Add(x);
        }

        using var p = Process.Start(psi)!;
        var s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }
    catch (Exception)
    {
        return "unknown";
    }
}

static int MaxDelayMs(BenchContext ctx) => ServiceSetting(ctx, "MaxBatchDelayMs");

// An Inference setting as the service sees it: BENCH_SVC_ override, then the environment, then appsettings.json.
static int ServiceSetting(BenchContext ctx, string name)
{
    foreach (var env in new[] { "BENCH_SVC_Inference__" + name, "Inference__" + name })
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(env), CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }
    }

    var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ctx.WebDir, "appsettings.json")));
    return json?["Inference"]?[name]?.GetValue<int>() ?? 0;
}

static async Task<bool> Live(string baseUrl)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    try
    {
        using var r = await http.GetAsync($"{baseUrl}/health/live");
        return r.IsSuccessStatusCode;
    }
    catch (Exception)
    {
        return false;
    }
}

static Task<double> Eval(BenchContext ctx, int scale) => EvalRunner.RunAsync(ctx, ctx.Model, scale);
