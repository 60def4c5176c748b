using Detector.Modules.Images.Contracts;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>
/// Finds results whose photo was still being stored when their instance died (kill -9, a crash,
/// a shutdown out of time): pending for longer than any live put may run
/// (<see cref="DetectApiOptions.PendingImageExpirySeconds"/>). They are marked <c>not_stored</c>,
/// <c>interrupted</c>, and a blob the dead put may have finished is removed unless something else
/// names it (<see cref="IImageStore.DeleteUnheldAsync"/>). Every instance runs it; rows are taken with SKIP LOCKED (ADR 0015, 0016).
/// </summary>
internal sealed partial class PendingImageSweep(
    IResultImageStorage storage,
    IImageStore images,
    IOptions<DetectApiOptions> options,
    TimeProvider time,
    ILogger<PendingImageSweep> logger) : BackgroundService
{
    private const int Batch = 500;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Common.PeriodicRounds.RunAsync(
        TimeSpan.FromSeconds(options.Value.PendingImageSweepSeconds), time, SweepAsync, ex => LogSweepFailed(logger, ex), stoppingToken);

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().AddSeconds(-options.Value.PendingImageExpirySeconds);
        IReadOnlyList<InterruptedImage> batch;
        do
        {
            batch = await storage.InterruptStaleAsync(cutoff, Batch, cancellationToken);
            foreach (var image in batch)
            {
                DetectionMetrics.Puts.WithLabels("interrupted").Inc();
                await images.DeleteUnheldAsync(image.TenantId, [image.Sha256], cancellationToken);
            }

            if (batch.Count > 0)
            {
                LogInterrupted(logger, batch.Count);
            }
        }
        while (batch.Count == Batch);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} result(s) had photos still pending from an instance that stopped; marked not_stored (interrupted)")]
    private static partial void LogInterrupted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The pending-image sweep failed; it runs again at its next tick")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
