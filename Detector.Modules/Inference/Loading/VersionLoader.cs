using System.Diagnostics;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Inference.Scheduling;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Loading;

/// <summary>
/// Loads one version and warms it at every batch size up to its maximum on each executor slot,
/// plus the all-cores session for a request that finds the machine idle (ADR 0014). Nothing of it
/// is visible to requests until it returns.
/// </summary>
internal sealed partial class VersionLoader(InferenceOptions options, CoreBudget cores, IInferenceFaults faults, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<VersionLoader>();

    public LoadedModel Load(ModelManifest manifest, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var runner = OrtModelRunner.Load(manifest, options, _logger);
        try
        {
            var onCpu = runner.Provider == ProviderSelector.Cpu;
            var settings = SchedulerSettings.For(manifest.Name, options, onCpu);
            var slots = new List<IBatchExecutor>();
            var slotCount = SchedulerSettings.SlotsFor(manifest.Name, options, onCpu, Environment.ProcessorCount);
            for (var i = 0; i < slotCount; i++)
            {
                stop.ThrowIfCancellationRequested();
                var slot = runner.CreateSlot(settings.MaxBatchSize);
                for (var b = 1; b <= settings.MaxBatchSize; b++)
                {
                    slot.Run(b);
                }

                slots.Add(slot);
            }

            IBatchExecutor? wide = null;
            if (onCpu && options.WideRunWhenIdle && cores.Cores > 1 && options.IntraOpThreads == 1)
            {
                var wideSlot = runner.CreateSlot(1, intraOpThreads: 0);
                wideSlot.Run(1);
                wide = wideSlot;
            }

            var extras = new ExecutorOptions(wide, onCpu ? cores : null, faults);
            var scheduler = new BatchScheduler(manifest.Name, slots, settings, new SchedulerMetrics(manifest.Name, manifest.Version), loggerFactory.CreateLogger<BatchScheduler>(), extras);
            LogWarmed(_logger, manifest.Name, manifest.Version, settings.MaxBatchSize, slotCount, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new LoadedModel(manifest, runner, scheduler, new PipelineMetrics(manifest.Name, manifest.Version));
        }
        catch
        {
            runner.Dispose(); // its slots so far, and the probe session
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} version {Version} warmed at batch sizes 1..{MaxBatch} on {ExecutorSlots} executor slots in {ElapsedMs:F0} ms")]
    private static partial void LogWarmed(ILogger logger, string model, string version, int maxBatch, int executorSlots, double elapsedMs);
}
