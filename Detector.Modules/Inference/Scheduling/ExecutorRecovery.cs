using System.Diagnostics;
using Detector.Modules.Common.Resilience;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// Which of a model's executors can take a batch: a batch thread whose run failed recreates its
/// executor's session before it takes another batch (so it takes none meanwhile), retrying with
/// backoff while that fails; readiness reports the executor unhealthy until then. The wide
/// executor is shared by every thread, so its health is a flag they all read.
/// </summary>
internal sealed partial class ExecutorRecovery(string model, SchedulerMetrics metrics, IInferenceFaults faults, ILogger logger)
{
    // A session that cannot be recreated (the device gone, memory short) is tried again soon, then
    // every ten seconds at most, jittered so the threads of several models do not retry together.
    private static readonly TimeSpan RecoveryInitialDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RecoveryMaxDelay = TimeSpan.FromSeconds(10);

    private int _unhealthy;
    private volatile bool _wideHealthy = true;

    /// <summary>Batch threads busy recreating a failed executor's session (the wide one included).</summary>
    public int Unhealthy => Volatile.Read(ref _unhealthy);

    /// <summary>False from a failed wide run until its session is recreated: no thread may start a run on it meanwhile.</summary>
    public bool WideHealthy => _wideHealthy;

    /// <summary>Marks the wide executor failed; called with every core still held, before its recovery starts.</summary>
    public void MarkWideFailed() => _wideHealthy = false;

    /// <summary>Recreates a failed executor's session on this thread, retrying with backoff; returns early only when stopping.</summary>
    public void Recover(IBatchExecutor executor, bool isWide, CancellationToken stop)
    {
        // Counted per thread: the recovery runs on the batch thread, which takes no batch meanwhile.
        metrics.UnhealthyExecutors.Set(Interlocked.Increment(ref _unhealthy));
        var started = Stopwatch.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            try
            {
                faults.BeforeRecover(model);
                executor.Recover();
                break;
            }
            catch (Exception ex)
            {
                LogRecoveryFailed(logger, model, ex);
                if (stop.WaitHandle.WaitOne(Backoff.Jittered(++attempt, RecoveryInitialDelay, RecoveryMaxDelay)))
                {
                    return; // stopping: the process is going away with it
                }
            }
        }

        metrics.Recovered.Inc();
        if (isWide)
        {
            _wideHealthy = true;
        }

        metrics.UnhealthyExecutors.Set(Interlocked.Decrement(ref _unhealthy));

        LogRecovered(logger, model, isWide ? "wide" : "narrow", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recreating a session of model {Model} failed; trying again")]
    private static partial void LogRecoveryFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: a {Layout} executor's session was recreated after a failed run in {ElapsedMs:F0} ms")]
    private static partial void LogRecovered(ILogger logger, string model, string layout, double elapsedMs);
}
