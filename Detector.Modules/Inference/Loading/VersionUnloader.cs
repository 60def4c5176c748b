using Microsoft.Extensions.Logging;
using Prometheus;

namespace Detector.Modules.Inference.Loading;

/// <summary>
/// Disposes versions no longer served: unpublished first (by the host), then disposed once requests
/// that took the version before have had their time (<c>Inference:UnloadGraceSeconds</c>) and its
/// queue is empty, or at once when the host stops.
/// </summary>
internal sealed partial class VersionUnloader(InferenceOptions options, ILoggerFactory loggerFactory)
{
    public static readonly Gauge Loaded = Metrics.CreateGauge(
        "detector_model_versions_loaded",
        "Model versions whose sessions this instance holds (loaded and warm, or unpublished and not yet disposed).");

    private readonly ILogger _logger = loggerFactory.CreateLogger<VersionUnloader>();
    private readonly List<Task> _unloads = [];

    public void Unload(LoadedModel model, CancellationToken stop)
    {
        LogUnloading(_logger, model.Manifest.Name, model.Manifest.Version);
        lock (_unloads)
        {
            _unloads.RemoveAll(t => t.IsCompleted);
            _unloads.Add(UnloadAsync(model, stop));
        }
    }

    public Task WhenAllAsync()
    {
        lock (_unloads)
        {
            return Task.WhenAll(_unloads);
        }
    }

    private async Task UnloadAsync(LoadedModel model, CancellationToken stop)
    {
        try
        {
            var grace = TimeSpan.FromSeconds(options.UnloadGraceSeconds);
            await Task.Delay(grace, stop);
            var until = DateTime.UtcNow + grace;
            while (model.Scheduler.QueueDepth > 0 && DateTime.UtcNow < until)
            {
                await Task.Delay(100, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The host stops: disposed now, with everything else.
        }

        await model.Scheduler.DisposeAsync();
        model.Runner.Dispose();
        Loaded.Dec();
        LogUnloaded(_logger, model.Manifest.Name, model.Manifest.Version);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} version {Version} is no longer needed: unpublished, unloading after its grace period")]
    private static partial void LogUnloading(ILogger logger, string model, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} version {Version} unloaded")]
    private static partial void LogUnloaded(ILogger logger, string model, string version);
}
