using System.Diagnostics;
using System.Text.Json.Nodes;
using Detector.Modules.Inference;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Models;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Detector.Bench;

/// <summary>
/// Parts 1 and 2: the same modules and configuration as the service (Detector.Web's
/// appsettings.json, the Inference/Models sections), without HTTP.
/// </summary>
internal static class InProcess
{
    /// <summary>A host wired like Detector.Web's eval command: AddModels, AddPreprocessing, AddInference.</summary>
    public static IHost BuildHost(BenchContext ctx, string? model = null)
    {
        model ??= ctx.Model;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = ctx.WebDir, DisableDefaults = true });
        builder.Configuration.AddJsonFile(Path.Combine(ctx.WebDir, "appsettings.json"), optional: false);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Models:Directory"] = ctx.ModelsDir,
            ["Models:ManifestDirectory"] = Path.Combine(ctx.WebDir, "model-manifests"),
            ["Models:Enabled:0"] = model,
            ["Models:Default"] = model,
        });
        builder.Configuration.AddEnvironmentVariables();
        // The same BENCH_SVC_<NAME> overrides the service child process gets, so parts 1-2 measure its configuration.
        var overrides = new Dictionary<string, string?> { ["Models:Registry"] = "false" }; // no database: the seed manifests
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && k.StartsWith("BENCH_SVC_", StringComparison.Ordinal) && k.Length > 10)
            {
                overrides[k[10..].Replace("__", ":", StringComparison.Ordinal)] = e.Value as string;
            }
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.AddModels().AddPreprocessing().AddInference();
        return builder.Build();
    }

    /// <summary>
    /// Part 1: InferenceSession.Run on prepared tensors. Measured for the service's layout (its
    /// session options, ExecutorSlots runs in parallel on one session, as the scheduler does) and
    /// for one session with ONNX Runtime's default threading (intra-op = cores, one run at a
    /// time); the ceiling is the best of every row, so the service is compared with the fastest
    /// raw configuration found, not only its own.
    /// </summary>
    public static async Task<JsonObject> RawCeiling(BenchContext ctx)
    {
        await using var host = new AsyncHost((IAsyncDisposable)BuildHost(ctx));
        var hostServices = host.Services;
        var catalog = hostServices.GetRequiredService<IModelCatalog>();
        var options = hostServices.GetRequiredService<IOptions<InferenceOptions>>().Value;
        var pre = hostServices.GetRequiredService<IImagePreprocessor>();
        var manifest = catalog.Find(ctx.Model) ?? throw new InvalidOperationException($"model {ctx.Model} not found");
        var images = ctx.LoadImages();
        var serviceSlots = Detector.Modules.Inference.Scheduling.SchedulerSettings.SlotsFor(ctx.Model, options, ProviderIsCpu(options), Environment.ProcessorCount);
        var layouts = new List<(string Name, int IntraOp, int Slots)> { ("service", options.IntraOpThreads, serviceSlots) };
        if (options.IntraOpThreads != 0 || serviceSlots != 1)
        {
            layouts.Add(("single-session-default-threads", 0, 1));
        }

        var result = new JsonObject
        {
            ["intra_op_threads_service"] = options.IntraOpThreads,
            ["executor_slots_service"] = serviceSlots,
            ["inter_op_threads"] = options.InterOpThreads,
            ["allow_spinning"] = options.AllowSpinning,
            ["graph_optimization"] = options.GraphOptimization,
            ["load_avg_before"] = LoadAverage.Read(),
        };
        var rows = new JsonArray();
        var window = ctx.D(5, 2);
        int[] sizes = [1, 4, 8, 16];
        const int maxBatch = 16;
        var configured = options.IntraOpThreads;
        foreach (var layout in layouts)
        {
            options.IntraOpThreads = layout.IntraOp;
            using var runner = OrtModelRunner.Load(manifest, options, NullLogger.Instance);
            options.IntraOpThreads = configured;
            result["provider"] = runner.Provider;
            var slots = new OrtBatchSlot[layout.Slots];
            for (var s = 0; s < slots.Length; s++)
            {
                slots[s] = runner.CreateSlot(maxBatch);
                for (var i = 0; i < maxBatch; i++)
                {
                    pre.Preprocess(images[(i + s) % images.Count].Bytes, manifest.Preprocess, slots[s].InputSlot(i));
                }

                foreach (var b in sizes)
                {
                    slots[s].Run(b);
                    slots[s].Run(b);
                }
            }

            foreach (var b in sizes)
            {
                var self = new ProcStats(Environment.ProcessId);
                var cpu0 = self.CpuSeconds();
                var sw = Stopwatch.StartNew();
                var perSlot = new (List<double> Times, long Allocated)[slots.Length];
                var threads = new Thread[slots.Length];
                for (var s = 0; s < slots.Length; s++)
                {
                    var index = s;
                    threads[s] = new Thread(() =>
                    {
                        var times = new List<double>();
                        long allocated = 0;
                        while (sw.Elapsed < window || times.Count < 5)
                        {
                            var a0 = GC.GetAllocatedBytesForCurrentThread();
                            var t0 = Stopwatch.GetTimestamp();
                            slots[index].Run(b);
                            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                            allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                        }

                        perSlot[index] = (times, allocated);
                    });
                    threads[s].Start();
                }

                foreach (var t in threads)
                {
                    t.Join();
                }

                var elapsed = sw.Elapsed.TotalSeconds;
                var cpu = (self.CpuSeconds() - cpu0) / elapsed * 100;
                var all = perSlot.SelectMany(p => p.Times).ToList();
                var runs = all.Count;
                var imagesPerS = runs * b / elapsed;
                var meanMs = Stats.Mean(all);
                var row = new JsonObject
                {
                    ["layout"] = layout.Name,
                    ["intra_op_threads"] = layout.IntraOp,
                    ["parallel_runs"] = layout.Slots,
                    ["batch"] = b,
                    ["runs"] = runs,
                    ["ms_per_batch_mean"] = Stats.N(meanMs),
                    ["ms_per_batch_p50"] = Stats.N(Stats.Percentile(all, 50)),
                    ["ms_per_image"] = Stats.N(meanMs / b),
                    ["images_per_s"] = Stats.N(imagesPerS, 1),
                    ["managed_bytes_allocated_per_run"] = perSlot.Sum(p => p.Allocated) / runs,
                    ["cpu_percent"] = Stats.N(cpu, 1),
                    ["images_per_cpu_s"] = Stats.N(imagesPerS / (cpu / 100), 1),
                    ["load_avg"] = LoadAverage.Read(),
                };
                rows.Add(row);
                Log.Info($"part 1 raw: {layout.Name} (intra-op {layout.IntraOp}, {layout.Slots} parallel): batch {b,2}: {meanMs,7:F1} ms/batch, {imagesPerS,6:F1} img/s, cpu {cpu:F0}%");
            }
        }

        result["batches"] = rows;
        result["ceiling_images_per_s"] = rows.Max(r => (double)r!["images_per_s"]!);
        var best = rows.MaxBy(r => (double)r!["images_per_s"]!)!;
        result["ceiling_layout"] = $"{best["layout"]}, batch {best["batch"]}";
        // The service's own batch-1 latency: the c=1 target is measured against it.
        result["batch1_ms_service"] = rows.First(r => (string)r!["layout"]! == "service" && (int)r["batch"]! == 1)!["ms_per_batch_p50"]!.DeepClone();
        result["decode"] = DecodeCeiling(ctx, pre, manifest.Preprocess, images);
        result["load_avg_after"] = LoadAverage.Read();
        return result;
    }

    /// <summary>
    /// The CPU decode ceiling: IImagePreprocessor.Preprocess (sniff, decode, orient, resize,
    /// normalise) on the COCO JPEGs, on one thread and on every core.
    /// </summary>
    private static JsonObject DecodeCeiling(BenchContext ctx, IImagePreprocessor pre, PreprocessSpec spec, List<(string Name, byte[] Bytes)> images)
    {
        var result = new JsonObject();
        var window = ctx.D(4, 2);
        foreach (var threads in new[] { 1, Environment.ProcessorCount })
        {
            var counts = new long[threads];
            var times = new List<double>[threads];
            var sw = Stopwatch.StartNew();
            var workers = new Thread[threads];
            for (var t = 0; t < threads; t++)
            {
                var index = t;
                workers[t] = new Thread(() =>
                {
                    var tensor = new float[3 * spec.Width * spec.Height];
                    var local = new List<double>();
                    var i = index;
                    while (sw.Elapsed < window)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        pre.Preprocess(images[i++ % images.Count].Bytes, spec, tensor);
                        local.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }

                    times[index] = local;
                    counts[index] = local.Count;
                });
                workers[t].Start();
            }

            foreach (var w in workers)
            {
                w.Join();
            }

            var all = times.SelectMany(t => t).ToList();
            var rate = counts.Sum() / sw.Elapsed.TotalSeconds;
            result[$"threads_{threads}"] = new JsonObject
            {
                ["threads"] = threads,
                ["images_per_s"] = Stats.N(rate, 1),
                ["ms_per_image_p50"] = Stats.N(Stats.Percentile(all, 50)),
                ["ms_per_image_mean"] = Stats.N(Stats.Mean(all)),
            };
            Log.Info($"part 1 decode ceiling: {threads} thread(s): {rate:F1} img/s, p50 {Stats.Percentile(all, 50):F2} ms per image");
        }

        return result;
    }

    /// <summary>The largest batch the service forms, with MaxBatchSize 0 (auto) resolved as the service resolves it.</summary>
    internal static int EffectiveMaxBatch(BenchContext ctx)
    {
        using var host = BuildHost(ctx);
        var options = host.Services.GetRequiredService<IOptions<InferenceOptions>>().Value;
        return Detector.Modules.Inference.Scheduling.SchedulerSettings.For(ctx.Model, options, ProviderIsCpu(options)).MaxBatchSize;
    }

    /// <summary>Whether the service's provider setting lands on CPU here (Auto without a GPU, or Cpu).</summary>
    internal static bool ProviderIsCpu(InferenceOptions options) =>
        options.Provider == ExecutionProviderKind.Cpu || !OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider") || !ProviderSelector.NvidiaDevicePresent();

    /// <summary>Part 2: IObjectDetector.DetectAsync with real JPEG bytes at several concurrencies.</summary>
    public static async Task<JsonObject> Pipeline(BenchContext ctx)
    {
        var host = BuildHost(ctx);
        await host.StartAsync();
        try
        {
            await host.Services.GetRequiredService<IInferenceReadiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(3));
            var detector = host.Services.GetRequiredService<IObjectDetector>();
            var images = ctx.LoadAllCoco();
            var result = new JsonObject { ["load_avg_before"] = LoadAverage.Read() };
            var rows = new JsonArray();
            foreach (var c in new[] { 1, 4, 16 })
            {
                await RunClosed(detector, images, c, ctx.D(2, 1), null);
                var samples = new List<(double Ms, int Batch)>();
                var self = new ProcStats(Environment.ProcessId);
                var cpu0 = self.CpuSeconds();
                var elapsed = await RunClosed(detector, images, c, ctx.D(8, 4), samples);
                var cpu = (self.CpuSeconds() - cpu0) / elapsed.TotalSeconds * 100;
                var lat = samples.Select(s => s.Ms).ToList();
                var row = new JsonObject
                {
                    ["concurrency"] = c,
                    ["requests"] = samples.Count,
                    ["images_per_s"] = Stats.N(samples.Count / elapsed.TotalSeconds, 1),
                    ["p50_ms"] = Stats.N(Stats.Percentile(lat, 50)),
                    ["p95_ms"] = Stats.N(Stats.Percentile(lat, 95)),
                    ["p99_ms"] = Stats.N(Stats.Percentile(lat, 99)),
                    ["mean_batch"] = Stats.N(samples.Count == 0 ? double.NaN : samples.Average(s => s.Batch)),
                    ["cpu_percent"] = Stats.N(cpu, 1),
                    ["images_per_cpu_s"] = Stats.N(samples.Count / elapsed.TotalSeconds / (cpu / 100), 1),
                    ["load_avg"] = LoadAverage.Read(),
                };
                rows.Add(row);
                Log.Info($"part 2 pipeline: c={c,2}: {row["images_per_s"]} img/s, p50 {row["p50_ms"]} ms, p99 {row["p99_ms"]} ms, mean batch {row["mean_batch"]}");
            }

            result["concurrency"] = rows;
            result["load_avg_after"] = LoadAverage.Read();
            return result;
        }
        finally
        {
            await host.StopAsync();
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    private sealed class AsyncHost(IAsyncDisposable inner) : IAsyncDisposable
    {
        public IServiceProvider Services => ((IHost)inner).Services;

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    internal static Task<TimeSpan> RunClosed(IObjectDetector detector, List<(string Name, byte[] Bytes)> images, int concurrency, TimeSpan duration, List<(double Ms, int Batch)>? samples) =>
        RunClosed(detector, images.Select(i => i.Bytes).ToList(), concurrency, duration, samples);

    /// <summary>A closed loop of in-process detections (no HTTP, no store): the pipeline's own cost.</summary>
    internal static async Task<TimeSpan> RunClosed(IObjectDetector detector, IReadOnlyList<byte[]> images, int concurrency, TimeSpan duration, List<(double Ms, int Batch)>? samples)
    {
        var next = -1;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref next);
                var t0 = Stopwatch.GetTimestamp();
                DetectionOutcome outcome;
                try
                {
                    outcome = await detector.DetectAsync(new DetectionRequest { Image = images[i % images.Count] }, CancellationToken.None);
                }
                catch (Detector.Modules.Common.DomainException p) when (p.Kind is Detector.Modules.Common.OutcomeKind.Overloaded or Detector.Modules.Common.OutcomeKind.Unavailable)
                {
                    // Admission control refused it: back off as told, like a well-behaved client.
                    var left = duration - sw.Elapsed;
                    if (left > TimeSpan.Zero)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Math.Min(p.RetryAfterSeconds ?? 1, left.TotalSeconds)));
                    }

                    continue;
                }

                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (samples is not null && sw.Elapsed <= duration)
                {
                    lock (samples)
                    {
                        samples.Add((ms, outcome.Timings.BatchSize));
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return duration;
    }
}
