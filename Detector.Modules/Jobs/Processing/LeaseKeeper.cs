using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Keeps the leases of the items this process is working on alive (one UPDATE every third of the
/// lease, whatever the number of items; <see cref="HeldItems"/>) and ends them on a graceful stop,
/// so another instance can take the items at once. A killed process renews nothing, and an item
/// its worker dropped is renewed no more: its lease runs out and the recovery sweep re-dispatches it.
/// </summary>
internal sealed partial class LeaseKeeper(RecoveryQueries recovery, WorkerIdentity worker, HeldItems held, IOptions<JobsOptions> options, ILogger<LeaseKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        using var timer = new PeriodicTimer(lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var (jobIds, idxs) = held.Snapshot();
                    JobsMetrics.LeasedItems.Set(jobIds.Length == 0 ? 0 : await recovery.RenewLeasesAsync(worker.LeaseOwner, jobIds, idxs, lease, stoppingToken));
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    // Leases that lapse meanwhile only let another worker repeat the item: processing is idempotent.
                    LogRenewFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            var released = await recovery.ReleaseLeasesAsync(worker.LeaseOwner, cancellationToken);
            if (released > 0)
            {
                LogReleased(logger, released);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            LogRenewFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing or releasing item leases failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} item lease(s) on shutdown")]
    private static partial void LogReleased(ILogger logger, int count);
}
