using System.Diagnostics;
using Detector.Modules.Inference.Contracts;
using Prometheus;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// Who may enter a model's queue: reservations up to the capacity, a wait budget for interactive
/// requests judged on the measured throughput, the refusal before an upload is read, and the
/// Retry-After estimate. Lock-free; the batch loop reports each batch's throughput.
/// </summary>
/// <remarks>
/// Admission by expected wait rather than only by count: under overload, accepted requests keep a
/// bounded latency and the rest are refused at once, instead of everyone queueing. Background
/// work only needs room: it has no caller waiting, so it queues rather than bounce and retry.
/// </remarks>
internal sealed class AdmissionControl(int queueCapacity, TimeSpan maxQueueWait, int alwaysAdmitted, Counter.Child rejected)
{
    private readonly long _maxQueueWaitTicks = (long)(maxQueueWait.TotalSeconds * Stopwatch.Frequency);
    private int _admitted;
    private int _admittedInteractive;
    private double _imagesPerSecond;

    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Smoothed images per second of the model's executors together; 0 until the first batch.</summary>
    public double ImagesPerSecond => Volatile.Read(ref _imagesPerSecond);

    /// <summary>Reserves room for one request, or counts a refusal and returns false.</summary>
    public bool TryAdmit(DetectionPriority priority)
    {
        var interactive = priority == DetectionPriority.Interactive;
        if (interactive && WaitWouldExceedBudget(Volatile.Read(ref _admittedInteractive)))
        {
            rejected.Inc();
            return false;
        }

        while (true)
        {
            var current = Volatile.Read(ref _admitted);
            if (current >= queueCapacity)
            {
                rejected.Inc();
                return false;
            }

            if (Interlocked.CompareExchange(ref _admitted, current + 1, current) == current)
            {
                if (interactive)
                {
                    Interlocked.Increment(ref _admittedInteractive);
                }

                return true;
            }
        }
    }

    public void Release(DetectionPriority priority)
    {
        if (priority == DetectionPriority.Interactive)
        {
            Interlocked.Decrement(ref _admittedInteractive);
        }

        Interlocked.Decrement(ref _admitted);
    }

    /// <summary>
    /// The check before an upload is read: refuses (and counts the refusal) when a new
    /// interactive request would not be admitted now. Reserves nothing.
    /// </summary>
    public bool TryRefuseInteractive()
    {
        if (Volatile.Read(ref _admitted) < queueCapacity && !WaitWouldExceedBudget(Volatile.Read(ref _admittedInteractive)))
        {
            return false;
        }

        rejected.Inc();
        return true;
    }

    /// <summary>Seconds until the queue ahead of a new request is likely drained, from measured throughput.</summary>
    public int EstimateRetryAfterSeconds()
    {
        var rate = ImagesPerSecond;
        var backlog = Admitted + 1;
        var seconds = rate > 0 ? backlog / rate : 1;
        return (int)Math.Clamp(Math.Ceiling(seconds), 1, 60);
    }

    /// <summary>Folds one executed batch into the throughput average (all executors together).</summary>
    public void RecordBatch(int images, double inferenceMs, int executors)
    {
        var observed = images / Math.Max(inferenceMs / 1000.0, 1e-6) * executors;
        var previous = Volatile.Read(ref _imagesPerSecond);
        Volatile.Write(ref _imagesPerSecond, previous == 0 ? observed : (0.8 * previous) + (0.2 * observed));
    }

    private bool WaitWouldExceedBudget(int admitted)
    {
        // Always admit a running batch plus a full one behind it per executor, so the model never
        // idles for lack of admitted work; the budget only trims the backlog beyond that.
        if (_maxQueueWaitTicks <= 0 || admitted < alwaysAdmitted)
        {
            return false;
        }

        var rate = ImagesPerSecond;
        return rate > 0 && admitted / rate * Stopwatch.Frequency > _maxQueueWaitTicks;
    }
}
