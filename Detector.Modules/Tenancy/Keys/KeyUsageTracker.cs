using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Tenancy.Keys;

/// <summary>
/// When each key was last used, written in one batched UPDATE every KeyUsageFlushSeconds instead
/// of one write per request; a key listing is at most that far behind.
/// </summary>
internal sealed partial class KeyUsageTracker(KeyStore keys, TimeProvider time, IOptions<GuardOptions> options, ILogger<KeyUsageTracker> logger) : BackgroundService
{
    private ConcurrentDictionary<Guid, DateTime> _used = new();

    public void Record(Guid keyId) => _used[keyId] = time.GetUtcNow().UtcDateTime;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.KeyUsageFlushSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        var batch = Interlocked.Exchange(ref _used, new ConcurrentDictionary<Guid, DateTime>());
        if (batch.IsEmpty)
        {
            return;
        }

        try
        {
            await keys.TouchAsync(batch.ToArray(), ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            LogFlushFailed(logger, batch.Count, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording last use of {Count} API key(s) failed")]
    private static partial void LogFlushFailed(ILogger logger, int count, Exception exception);
}
