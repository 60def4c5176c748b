namespace Detector.Modules.Common;

/// <summary>
/// The loop of a periodic hosted task (ADR 0015): one round at start, then one every period until
/// the host stops. A round that fails is reported and the next one tries again; only the host's
/// stopping ends the loop (a timeout inside a round is a failed round, not a stop).
/// </summary>
public static class PeriodicRounds
{
    public static async Task RunAsync(TimeSpan period, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> failed, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(failed);
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do
            {
                try
                {
                    await round(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    failed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
