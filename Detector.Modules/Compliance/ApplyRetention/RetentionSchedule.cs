using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Compliance.ApplyRetention;

/// <summary>
/// Runs retention at each occurrence of Compliance:RetentionCron (UTC) on every instance that has
/// Compliance:RetentionEnabled, one instance at a time: a run takes a PostgreSQL advisory lock
/// (held by its session, so a killed instance's lock goes with its connection) and an instance
/// that finds it taken skips the occurrence. A hosted timer, like the service's other periodic
/// work, so retention depends on no job scheduler (ADR 0015). Runs are counted by outcome, timed,
/// and the last success is a gauge an alert can watch.
/// </summary>
internal sealed partial class RetentionSchedule(
    NpgsqlDataSource dataSource,
    RetentionJob retention,
    TimeProvider time,
    IOptions<ComplianceOptions> options,
    ILogger<RetentionSchedule> logger) : BackgroundService
{
    public const long AdvisoryLockKey = 0x434F_4D50_5254_4E; // "COMPRTN"

    /// <summary>Timers wait at most about 49 days; a longer wait is taken in steps (the clock is read again after each).</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cron = ComplianceOptions.ParseCron(options.Value.RetentionCron);
        try
        {
            while (cron.GetNextOccurrence(time.GetUtcNow(), TimeZoneInfo.Utc) is { } next)
            {
                for (var now = time.GetUtcNow(); now < next; now = time.GetUtcNow())
                {
                    await Task.Delay(Min(next - now, MaxWait), time, stoppingToken);
                }

                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One run if no other instance is running one; null when skipped or failed (counted and logged, never thrown).</summary>
    public async Task<RetentionSummary?> RunOnceAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var session = await dataSource.OpenConnectionAsync(ct);
            if (!await session.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: ct)))
            {
                ComplianceMetrics.RetentionRuns.WithLabels("skipped").Inc();
                LogSkipped(logger);
                return null;
            }

            try
            {
                var summary = await retention.RunAsync(ct);
                ComplianceMetrics.RetentionRuns.WithLabels("succeeded").Inc();
                return summary;
            }
            finally
            {
                ComplianceMetrics.RetentionSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                await session.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
            }
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            // The database may be down for a moment: the next occurrence tries again, and the
            // last-success gauge stops moving, which is what the alert watches.
            ComplianceMetrics.RetentionRuns.WithLabels("failed").Inc();
            LogFailed(logger, ex);
            return null;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention skipped: another instance is running it")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention run failed; the next occurrence tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
