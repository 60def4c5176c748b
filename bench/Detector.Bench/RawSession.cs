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
/// A raw session kept open (same SessionOptions as the service, one slot of max batch 16 with
/// prepared tensors), so the raw ceiling can be measured in rounds interleaved with HTTP load.
/// </summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly OrtModelRunner _runner;
    private readonly OrtBatchSlot _slot;

    public RawSession(BenchContext ctx)
    {
        _host = InProcess.BuildHost(ctx);
        var options = _host.Services.GetRequiredService<IOptions<InferenceOptions>>().Value;
        var pre = _host.Services.GetRequiredService<IImagePreprocessor>();
        var manifest = _host.Services.GetRequiredService<IModelCatalog>().Find(ctx.Model) ?? throw new InvalidOperationException($"model {ctx.Model} not found");
        _runner = OrtModelRunner.Load(manifest, options, NullLogger.Instance);
        _slot = _runner.CreateSlot(16);
        var images = ctx.LoadImages();
        for (var i = 0; i < 16; i++)
        {
            pre.Preprocess(images[i % images.Count].Bytes, manifest.Preprocess, _slot.InputSlot(i));
        }

        foreach (var b in new[] { 1, 8, 16 })
        {
            _slot.Run(b);
        }
    }

    /// <summary>Runs batches of <paramref name="batch"/> for about <paramref name="window"/>; returns images and seconds.</summary>
    public (int Images, double Seconds) Measure(int batch, TimeSpan window)
    {
        var n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < window || n < 2 * batch)
        {
            _slot.Run(batch);
            n += batch;
        }

        return (n, sw.Elapsed.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        _runner.Dispose();
        await ((IAsyncDisposable)_host).DisposeAsync();
    }
}
