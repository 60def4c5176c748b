using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// The service's periodic work runs on hosted timers, not as recurring Hangfire jobs (ADR 0015), so
/// Hangfire holds none: one an earlier version registered (compliance-retention) is removed when
/// an instance starts, or Hangfire would go on running it beside its timer.
/// </summary>
internal sealed partial class RecurringJobsCleanup(JobStorage storage, IRecurringJobManager recurring, ILogger<RecurringJobsCleanup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var connection = storage.GetConnection();
            foreach (var job in connection.GetRecurringJobs())
            {
                recurring.RemoveIfExists(job.Id);
                LogRemoved(logger, job.Id);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The next start tries again; meanwhile such a job only repeats work its timer does too.
            LogFailed(logger, ex);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed recurring Hangfire job {RecurringJobId} (periodic work runs on hosted timers)")]
    private static partial void LogRemoved(ILogger logger, string recurringJobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the recurring Hangfire jobs of an earlier version")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
