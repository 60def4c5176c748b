using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Compliance.ApplyRetention;

/// <summary>Registers (or updates) the recurring retention job at start-up, through Hangfire's DI services.</summary>
internal sealed class RetentionSchedule(IRecurringJobManager recurring, IOptions<ComplianceOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<RetentionJob>(
            RetentionJob.RecurringJobId,
            job => job.RunAsync(CancellationToken.None),
            options.Value.RetentionCron,
            new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
