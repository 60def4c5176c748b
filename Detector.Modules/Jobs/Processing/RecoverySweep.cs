using System.Diagnostics;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Makes recovery independent of luck and of Hangfire's internals (ADR 0006): every interval it
/// puts items whose lease expired (their worker's process died) back in the queue and dispatches
/// them, dispatches queued items and pending webhooks that have no ticket (the process died
/// between a commit and its enqueue, or their Hangfire job failed or was deleted), and refreshes
/// the job gauges. Safe on every instance: a PostgreSQL advisory lock (held by this session, so
/// released when a killed process's connection closes) lets one sweep run at a time, and both
/// claiming and finishing are idempotent, so a sweep killed half-way only leaves work the next
/// sweep finds again.
/// </summary>
internal sealed partial class RecoverySweep(
    NpgsqlDataSource dataSource,
    RecoveryQueries recovery,
    JobStore store,
    JobDispatcher dispatcher,
    IOptions<JobsOptions> options,
    ILogger<RecoverySweep> logger) : BackgroundService
{
    private const long AdvisoryLockKey = 0x4A_4F_42_53_57_50; // "JOBSWP"
    private const int BatchLimit = 5000;

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
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or Hangfire.BackgroundJobClientException)
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

        using var activity = DetectorTelemetry.Source.StartActivity("jobs.recovery_sweep");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var expired = await recovery.RequeueExpiredAsync(BatchLimit, ct);
            if (expired.Count > 0)
            {
                LogLeasesExpired(logger, expired.Count);
                await DispatchAsync(expired, "lease_expired", ct);
            }

            var grace = TimeSpan.FromSeconds(options.Value.OrphanGraceSeconds);
            await DispatchAsync(await recovery.FindUndispatchedAsync(grace, BatchLimit, ct), "no_ticket", ct);

            foreach (var jobId in await recovery.FindUndispatchedWebhooksAsync(grace, 1000, ct))
            {
                await dispatcher.EnqueueWebhookAsync(jobId, null, ct);
                JobsMetrics.Recovered.WithLabels("webhook").Inc();
            }

            await RefreshGaugesAsync(ct);
            activity?.SetTag("detector.recovered", expired.Count);
        }
        finally
        {
            JobsMetrics.SweepSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            await lockConnection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    private async Task DispatchAsync(IReadOnlyList<ItemRef> items, string reason, CancellationToken ct)
    {
        foreach (var group in items.GroupBy(o => (o.JobId, o.TenantId, o.Queue)))
        {
            var indexes = group.Select(o => o.Idx).Order().ToList();
            LogRecovered(logger, group.Key.JobId, indexes.Count, reason);
            await dispatcher.EnqueueAsync(group.Key.TenantId, group.Key.JobId, indexes, group.Key.Queue, ct);
            JobsMetrics.Recovered.WithLabels(reason).Inc(indexes.Count);
        }
    }

    private async Task RefreshGaugesAsync(CancellationToken ct)
    {
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep put {Count} item(s) with an expired lease back in the queue")]
    private static partial void LogLeasesExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep dispatched {Count} item(s) of job {JobId} ({Reason})")]
    private static partial void LogRecovered(ILogger logger, Guid jobId, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep failed; trying again next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
