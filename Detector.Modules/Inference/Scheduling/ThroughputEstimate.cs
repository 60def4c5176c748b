using Prometheus;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// What admission knows of a model's speed: the measured images per second of its executors
/// together, and how far real completions run behind the estimate made from that rate. The batch
/// loop reports each batch; admission asks how long a request would take behind a given amount of
/// work. Lock-free: one batch thread writes a value at a time, readers tolerate a stale one.
/// </summary>
internal sealed class ThroughputEstimate(Gauge.Child? latencyScaleGauge = null)
{
    private double _imagesPerSecond;
    private int _executors = 1;
    private double _latencyScale = 1.0;

    /// <summary>Smoothed images per second of the model's executors together; 0 until the first batch.</summary>
    public double ImagesPerSecond => Volatile.Read(ref _imagesPerSecond);

    /// <summary>How far measured completions ran behind the estimate (1 = on time; at most 3): the feedback that corrects it.</summary>
    public double LatencyScale => Volatile.Read(ref _latencyScale);

    /// <summary>Folds one executed batch into the throughput average (all executors together).</summary>
    public void RecordBatch(int images, double inferenceMs, int executors)
    {
        var observed = images / Math.Max(inferenceMs / 1000.0, 1e-6) * executors;
        Volatile.Write(ref _executors, Math.Max(1, executors));
        var previous = Volatile.Read(ref _imagesPerSecond);
        Volatile.Write(ref _imagesPerSecond, previous == 0 ? observed : (0.8 * previous) + (0.2 * observed));
    }

    /// <summary>
    /// Folds in how long an admitted interactive request really took (decode, queue, run) against
    /// what admission expected. The estimate comes from run times alone, so when requests also
    /// wait elsewhere (for the decode worker, for cores the refusals' HTTP work takes) completions
    /// run behind it and accepted requests overshoot the budget (an open loop at 3x: p95 649 ms
    /// for 500). The smoothed ratio scales later estimates; it never goes below 1, and only
    /// requests that found a backlog count (with none, the ratio is noise).
    /// </summary>
    public void ObserveCompletion(double observedSeconds, double predictedSeconds)
    {
        if (predictedSeconds < 0.02)
        {
            return;
        }

        var ratio = Math.Clamp(observedSeconds / predictedSeconds, 0.5, 4);
        var previous = Volatile.Read(ref _latencyScale);
        var next = Math.Clamp((0.95 * previous) + (0.05 * ratio), 1.0, 3.0);
        Volatile.Write(ref _latencyScale, next);
        latencyScaleGauge?.Set(next);
    }

    /// <summary>Expected completion, uncorrected, of a request with <paramref name="ahead"/> images before it; 0 before the first batch.</summary>
    public double PredictSeconds(long ahead)
    {
        var rate = ImagesPerSecond;
        if (rate <= 0)
        {
            return 0;
        }

        var ownRun = Volatile.Read(ref _executors); // one image on one executor takes executors / rate
        return (ahead + ownRun) / rate;
    }

    /// <summary>Seconds until <paramref name="backlog"/> images are likely done at the measured rate, between 1 and 60.</summary>
    public int EstimateSeconds(int backlog)
    {
        var rate = ImagesPerSecond;
        var seconds = rate > 0 ? backlog / rate : 1;
        return (int)Math.Clamp(Math.Ceiling(seconds), 1, 60);
    }
}
