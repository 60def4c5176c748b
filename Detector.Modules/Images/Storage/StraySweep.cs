using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// Removes, on every instance and at a fixed interval, what writes interrupted by a crash or a
/// full disk left in the image store: nothing refused or lost is kept for long (issue 12).
/// </summary>
internal sealed partial class StraySweep(IImageBackend backend, TimeProvider time, IOptions<ImageStoreOptions> options, ILogger<StraySweep> logger) : BackgroundService
{
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var removed = await backend.SweepStraysAsync(time.GetUtcNow().AddMinutes(-options.Value.StrayAgeMinutes), cancellationToken);
        if (removed > 0)
        {
            ImagesMetrics.StraysRemoved.WithLabels(backend.Name).Inc(removed);
            LogRemoved(logger, removed, backend.Name);
        }

        return removed;
    }

    // The store may be down for a moment; the next round tries again.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Common.PeriodicRounds.RunAsync(
        TimeSpan.FromMinutes(options.Value.StraySweepIntervalMinutes), time, SweepOnceAsync, ex => LogFailed(logger, backend.Name, ex), stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} leftover(s) of interrupted writes from the {Backend} image store")]
    private static partial void LogRemoved(ILogger logger, int count, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping the {Backend} image store for leftovers failed")]
    private static partial void LogFailed(ILogger logger, string backend, Exception exception);
}
