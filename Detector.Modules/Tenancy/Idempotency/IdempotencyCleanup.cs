using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Tenancy.Idempotency;

/// <summary>Deletes idempotency records past their lifetime every ten minutes, in bounded batches (every instance may run it; deletes do not conflict).</summary>
internal sealed partial class IdempotencyCleanup(IdempotencyStore store, IOptions<GuardOptions> options, ILogger<IdempotencyCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        var expiry = TimeSpan.FromHours(options.Value.IdempotencyHours);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    while (await store.PurgeAsync(expiry, 1000, stoppingToken) == 1000)
                    {
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    LogPurgeFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired idempotency records failed")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
