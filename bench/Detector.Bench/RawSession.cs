using System.Diagnostics;
using Detector.Modules.Inference;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Detector.Bench;

/// <summary>
/// A raw session kept open (same SessionOptions as the service, ExecutorSlots slots of max batch
/// 16 with prepared tensors, run in parallel like the scheduler runs them), so the raw ceiling can
/// be measured in rounds interleaved with HTTP load.
/// </summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly OrtModelRunner _runner;
    private readonly OrtBatchSlot[] _slots;

    /// <param name="model">The seed model (default: the benchmark's).</param>
    /// <param name="artifact">Another ONNX file with that model's contract (a compressed variant).</param>
    public RawSession(BenchContext ctx, string? model = null, string? artifact = null)
    {
        model ??= ctx.Model;
        _host = InProcess.BuildHost(ctx, model);
        var options = _host.Services.GetRequiredService<IOptions<InferenceOptions>>().Value;
        var pre = _host.Services.GetRequiredService<IImagePreprocessor>();
        var manifest = _host.Services.GetRequiredService<IModelCatalog>().Find(model) ?? throw new InvalidOperationException($"model {model} not found");
        if (artifact is not null)
        {
            using var file = File.OpenRead(artifact);
            manifest = manifest with { FilePath = artifact, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)) };
        }

        _runner = OrtModelRunner.Load(manifest, options, NullLogger.Instance);
        _slots = new OrtBatchSlot[Detector.Modules.Inference.Scheduling.SchedulerSettings.SlotsFor(model, options, _runner.Provider == ProviderSelector.Cpu, Environment.ProcessorCount)];
        var images = ctx.LoadImages();
        for (var s = 0; s < _slots.Length; s++)
        {
            _slots[s] = _runner.CreateSlot(16);
            for (var i = 0; i < 16; i++)
            {
                pre.Preprocess(images[(i + s) % images.Count].Bytes, manifest.Preprocess, _slots[s].InputSlot(i));
            }

            foreach (var b in new[] { 1, 8, 16 })
            {
                _slots[s].Run(b);
            }
        }
    }

    /// <summary>Runs batches of <paramref name="batch"/> for about <paramref name="window"/>; returns images and seconds.</summary>
    public (int Images, double Seconds) Measure(int batch, TimeSpan window)
    {
        var n = 0;
        var sw = Stopwatch.StartNew();
        var threads = _slots.Select(slot => new Thread(() =>
        {
            var runs = 0;
            while (sw.Elapsed < window || runs < 2)
            {
                slot.Run(batch);
                runs++;
            }

            Interlocked.Add(ref n, runs * batch);
        })).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        return (n, sw.Elapsed.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        _runner.Dispose();
        await ((IAsyncDisposable)_host).DisposeAsync();
    }
}
