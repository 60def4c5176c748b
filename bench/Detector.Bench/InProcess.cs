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

namespace Detector.Bench;

/// <summary>
/// Parts 1 and 2: the same modules and configuration as the service (Detector.Web's
/// appsettings.json, the Inference/Models sections), without HTTP.
/// </summary>
internal static class InProcess
{
    /// <summary>A host wired like Detector.Web's eval command: AddModels, AddPreprocessing, AddInference.</summary>
    public static IHost BuildHost(BenchContext ctx)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = ctx.WebDir, DisableDefaults = true });
        builder.Configuration.AddJsonFile(Path.Combine(ctx.WebDir, "appsettings.json"), optional: false);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Models:Directory"] = ctx.ModelsDir,
            ["Models:ManifestDirectory"] = Path.Combine(ctx.WebDir, "model-manifests"),
            ["Models:Enabled:0"] = ctx.Model,
            ["Models:Default"] = ctx.Model,
        });
        builder.Configuration.AddEnvironmentVariables();
        builder.Logging.ClearProviders();
        builder.Services.AddModels().AddPreprocessing().AddInference();
        return builder.Build();
    }

    /// <summary>Part 1: InferenceSession.Run on prepared tensors, same SessionOptions as the service.</summary>
    public static async Task<JsonObject> RawCeiling(BenchContext ctx)
    {
        await using var host = new AsyncHost((IAsyncDisposable)BuildHost(ctx));
        var hostServices = host.Services;
        var catalog = hostServices.GetRequiredService<IModelCatalog>();
        var options = hostServices.GetRequiredService<IOptions<InferenceOptions>>().Value;
        var pre = hostServices.GetRequiredService<IImagePreprocessor>();
        var manifest = catalog.Find(ctx.Model) ?? throw new InvalidOperationException($"model {ctx.Model} not found");
        using var runner = OrtModelRunner.Load(manifest, options, NullLogger.Instance);
        const int maxBatch = 16;
        var slot = runner.CreateSlot(maxBatch);
        var images = ctx.LoadImages();
        for (var i = 0; i < maxBatch; i++)
        {
            pre.Preprocess(images[i % images.Count].Bytes, manifest.Preprocess, slot.InputSlot(i));
        }

        int[] sizes = [1, 4, 8, 16];
        foreach (var b in sizes)
        {
            slot.Run(b);
            slot.Run(b);
        }

        var result = new JsonObject
        {
            ["provider"] = runner.Provider,
            ["intra_op_threads"] = options.IntraOpThreads,
            ["inter_op_threads"] = options.InterOpThreads,
            ["graph_optimization"] = options.GraphOptimization,
            ["load_avg_before"] = LoadAverage.Read(),
        };
        var rows = new JsonArray();
        var window = ctx.D(5, 2);
        foreach (var b in sizes)
        {
            var times = new List<double>();
            long allocated = 0;
            var self = new ProcStats(Environment.ProcessId);
            var cpu0 = self.CpuSeconds();
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < window || times.Count < 5)
            {
                var a0 = GC.GetAllocatedBytesForCurrentThread();
                var t0 = Stopwatch.GetTimestamp();
                slot.Run(b);
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            }

            var cpu = (self.CpuSeconds() - cpu0) / sw.Elapsed.TotalSeconds * 100;
            var meanMs = Stats.Mean(times);
            var row = new JsonObject
            {
                ["batch"] = b,
                ["runs"] = times.Count,
                ["ms_per_batch_mean"] = Stats.N(meanMs),
                ["ms_per_batch_p50"] = Stats.N(Stats.Percentile(times, 50)),
                ["ms_per_image"] = Stats.N(meanMs / b),
                ["images_per_s"] = Stats.N(b * 1000.0 / meanMs, 1),
                ["managed_bytes_allocated_per_run"] = allocated / times.Count,
                ["cpu_percent"] = Stats.N(cpu, 1),
                ["images_per_cpu_s"] = Stats.N(b * 1000.0 / meanMs / (cpu / 100), 1),
                ["load_avg"] = LoadAverage.Read(),
            };
            rows.Add(row);
            Log.Info($"part 1 raw: batch {b,2}: {meanMs,7:F1} ms/batch, {b * 1000.0 / meanMs,6:F1} img/s, {allocated / times.Count} B allocated per Run");
        }

        result["batches"] = rows;
        result["ceiling_images_per_s"] = rows.Max(r => (double)r!["images_per_s"]!);
        result["load_avg_after"] = LoadAverage.Read();
        return result;
    }

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

    private static async Task<TimeSpan> RunClosed(IObjectDetector detector, List<(string Name, byte[] Bytes)> images, int concurrency, TimeSpan duration, List<(double Ms, int Batch)>? samples)
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
                    outcome = await detector.DetectAsync(new DetectionRequest { Image = images[i % images.Count].Bytes }, CancellationToken.None);
                }
                catch (Detector.Modules.Common.ProblemException p) when (p.Status == 503)
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
