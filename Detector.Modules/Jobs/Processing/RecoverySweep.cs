using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Closes the gap between "committed" and "enqueued": items still open with no live Hangfire job
/// after a grace period (the process died between the commit and the enqueue, or Hangfire gave the
/// job up) are enqueued again, and so are completion webhooks whose delivery job was lost. Safe to
/// run on every instance: a PostgreSQL advisory lock lets one sweep at a time, and processing is
/// idempotent anyway. Also refreshes the job and queue gauges.
/// </summary>
internal sealed partial class RecoverySweep(
    NpgsqlDataSource dataSource,
    JobStore store,
    JobDispatcher dispatcher,
    IOptions<JobsOptions> options,
    IOptions<HangfireSettings> hangfire,
    ILogger<RecoverySweep> logger) : BackgroundService
{
    private const long AdvisoryLockKey = 0x4A_4F_42_53_57_50; // "JOBSWP"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                await SweepOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    public async Task SweepOnceAsync(CancellationToken ct)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        if (!await lockConnection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: ct)))
        {
            return;
        }

        try
        {
            var schema = hangfire.Value.Schema;
            var grace = TimeSpan.FromSeconds(options.Value.OrphanGraceSeconds);
            var stale = TimeSpan.FromSeconds(options.Value.StaleProcessingSeconds);
            var orphans = await store.FindOrphanedItemsAsync(schema, grace, stale, 5000, ct);
            foreach (var group in orphans.GroupBy(o => (o.JobId, o.TenantId, o.Queue)))
            {
                var indexes = group.Select(o => o.Idx).Order().ToList();
                LogRecovered(logger, group.Key.JobId, indexes.Count);
                await dispatcher.EnqueueAsync(group.Key.TenantId, group.Key.JobId, indexes, group.Key.Queue, ct);
                JobsMetrics.Recovered.Inc(indexes.Count);
            }

            foreach (var jobId in await store.FindUndeliveredWebhooksAsync(schema, grace, 1000, ct))
            {
                await dispatcher.EnqueueWebhookAsync(jobId, null, ct);
            }

            var (jobs, pending) = await store.CountsAsync(ct);
            foreach (var status in JobsMetrics.Statuses)
            {
                JobsMetrics.JobsByState.WithLabels(status).Set(jobs.FirstOrDefault(j => j.Status == status).Count);
            }

            foreach (var queue in new[] { "high", "default", "low" })
            {
                JobsMetrics.PendingItems.WithLabels(queue).Set(pending.FirstOrDefault(p => p.Queue == queue).Count);
            }
        }
        finally
        {
            await lockConnection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep re-enqueued {Count} orphaned item(s) of job {JobId}")]
    private static partial void LogRecovered(ILogger logger, Guid jobId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep failed; trying again next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
