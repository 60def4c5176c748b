using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Detector.Modules.Inference.Contracts;
using Prometheus;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// Who may enter a model's queue: reservations up to the capacity (background work only up to
/// its share, so interactive work always has room), a tenant's in-flight limit, and a wait budget
/// for interactive requests judged on the measured throughput (<see cref="ThroughputEstimate"/>)
/// and on the request's place in the round-robin over tenants. Lock-free; the batch loop reports
/// each batch's throughput.
/// </summary>
/// <remarks>
/// Admission by expected wait rather than only by count: under overload, accepted requests keep a
/// bounded latency and the rest are refused at once, instead of everyone queueing. The queue
/// serves tenants in turns (<see cref="WorkQueue"/>), so a new request of a quiet tenant waits
/// about one round of the active tenants, however long a flooding tenant's own backlog is: the
/// flooder is refused by the budget, the quiet tenant is not.
/// </remarks>
internal sealed class AdmissionControl(int queueCapacity, TimeSpan defaultBudget, int alwaysAdmitted, Counter.Child rejected, double backgroundShare = 1.0, Gauge.Child? latencyScaleGauge = null)
{
    /// <summary>Expected completion may use this share of a budget (measured: at 1.0, accepted p95 at c=64 was 598 ms for a 500 ms budget).</summary>
    public const double ExpectedShareOfBudget = 0.75;

    private readonly long _defaultBudgetTicks = (long)(defaultBudget.TotalSeconds * Stopwatch.Frequency);
    private readonly int _backgroundCapacity = Math.Max(1, (int)(queueCapacity * Math.Clamp(backgroundShare, 0, 1)));
    private readonly ConcurrentDictionary<Guid, StrongBox<int>> _tenants = new();
    private readonly ThroughputEstimate _throughput = new(latencyScaleGauge);
    private int _admitted;
    private int _admittedInteractive;
    private int _admittedBackground;
    private int _activeTenants;

    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Interactive requests holding a place (reserved before their body, decoding, queued or running).</summary>
    public int AdmittedInteractive => Volatile.Read(ref _admittedInteractive);

    /// <inheritdoc cref="ThroughputEstimate.ImagesPerSecond"/>
    public double ImagesPerSecond => _throughput.ImagesPerSecond;

    /// <inheritdoc cref="ThroughputEstimate.LatencyScale"/>
    public double LatencyScale => _throughput.LatencyScale;

    /// <summary>Reserves room for one request of <paramref name="tenant"/>, which may have at most <paramref name="maxInFlight"/> interactive requests in (0: no limit).</summary>
    /// <param name="budget">How long the request may take from now (its deadline); null: the default sync budget.</param>
    /// <param name="predictedSeconds">For an admitted interactive request, its expected completion before correction (0 when the model idles); see <see cref="ObserveCompletion"/>.</param>
    public Admission Admit(DetectionPriority priority, Guid tenant, int maxInFlight, TimeSpan? budget, out double predictedSeconds)
    {
        predictedSeconds = 0;
        if (priority == DetectionPriority.Interactive)
        {
            var box = _tenants.GetOrAdd(tenant, static _ => new StrongBox<int>());
            var refusal = Judge(box, maxInFlight, budget, out var predicted);
            if (refusal != Admission.Admitted)
            {
                rejected.Inc();
                return refusal;
            }

            if (!Reserve())
            {
                rejected.Inc();
                return Admission.QueueFull;
            }

            predictedSeconds = predicted;
            Interlocked.Increment(ref _admittedInteractive);
            if (Interlocked.Increment(ref box.Value) == 1)
            {
                Interlocked.Increment(ref _activeTenants);
            }

            return Admission.Admitted;
        }

        if (Interlocked.Increment(ref _admittedBackground) > _backgroundCapacity || !Reserve())
        {
            Interlocked.Decrement(ref _admittedBackground);
            rejected.Inc();
            return Admission.QueueFull;
        }

        return Admission.Admitted;
    }

    /// <summary>Gives back the place an <see cref="Admit"/> of the same priority and tenant reserved.</summary>
    public void Release(DetectionPriority priority, Guid tenant)
    {
        if (priority == DetectionPriority.Interactive)
        {
            Interlocked.Decrement(ref _admittedInteractive);
            if (_tenants.TryGetValue(tenant, out var box) && Interlocked.Decrement(ref box.Value) == 0)
            {
                Interlocked.Decrement(ref _activeTenants);
            }
        }
        else
        {
            Interlocked.Decrement(ref _admittedBackground);
        }

        Interlocked.Decrement(ref _admitted);
    }

    /// <summary>Seconds until the queue ahead of a new request is likely drained, from measured throughput.</summary>
    public int EstimateRetryAfterSeconds() => _throughput.EstimateSeconds(Admitted + 1);

    /// <inheritdoc cref="ThroughputEstimate.RecordBatch"/>
    public void RecordBatch(int images, double inferenceMs, int executors) => _throughput.RecordBatch(images, inferenceMs, executors);

    /// <inheritdoc cref="ThroughputEstimate.ObserveCompletion"/>
    public void ObserveCompletion(double observedSeconds, double predictedSeconds) => _throughput.ObserveCompletion(observedSeconds, predictedSeconds);

    /// <param name="predicted">The request's expected completion, uncorrected (computed once: admission keeps it for <see cref="ObserveCompletion"/>).</param>
    private Admission Judge(StrongBox<int> tenant, int maxInFlight, TimeSpan? budget, out double predicted)
    {
        var inFlight = Volatile.Read(ref tenant.Value);
        predicted = 0;
        if (maxInFlight > 0 && inFlight >= maxInFlight)
        {
            return Admission.TenantInFlight;
        }

        predicted = PredictSeconds(inFlight);

        long budgetTicks;
        if (budget is { } b)
        {
            budgetTicks = Math.Max(1, (long)(b.TotalSeconds * Stopwatch.Frequency)); // a deadline already past: refused unless the model idles
        }
        else if (_defaultBudgetTicks <= 0)
        {
            return Admission.Admitted; // no default budget: the capacity alone decides
        }
        else
        {
            budgetTicks = _defaultBudgetTicks;
        }

        return CompletionWouldExceedBudget(predicted, budgetTicks) ? Admission.OverBudget : Admission.Admitted;
    }

    private bool Reserve()
    {
        while (true)
        {
            var current = Volatile.Read(ref _admitted);
            if (current >= queueCapacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _admitted, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Admission by deadline: the request's expected completion (the measured work ahead of it,
    /// then its own run on one executor) against its budget. A request that would finish in time
    /// is admitted however long the queue; one that would not is refused now, cheaply, instead
    /// of failing later after using a place in the queue.
    /// </summary>
    private bool CompletionWouldExceedBudget(double predicted, long budgetTicks)
    {
        // Always admit a running batch plus a full one behind it per executor, so the model never
        // idles for lack of admitted work; the budget only trims the backlog beyond that.
        var total = Volatile.Read(ref _admittedInteractive);
        if (total < alwaysAdmitted)
        {
            return false;
        }

        if (predicted <= 0)
        {
            return false;
        }

        // The estimate is a mean from inference time alone, corrected by how completions have
        // really run; the budget is what the client sees at p95 (upload and the tail on top), so
        // admission aims at a share of it.
        return predicted * LatencyScale * Stopwatch.Frequency > budgetTicks * ExpectedShareOfBudget;
    }

    /// <summary>Expected completion of a new interactive request of a tenant with <paramref name="tenantInFlight"/> in, uncorrected; 0 before the first batch.</summary>
    private double PredictSeconds(int tenantInFlight)
    {
        // In turns over the active tenants, the request is served after its own tenant's backlog,
        // with one request of every other active tenant per place in it, and one more of each
        // before its own turn: tenantInFlight x active + (active - 1), never more than all there is.
        var total = Volatile.Read(ref _admittedInteractive);
        var active = Math.Max(1, Volatile.Read(ref _activeTenants) + (tenantInFlight == 0 ? 1 : 0));
        var ahead = Math.Min(total, ((long)tenantInFlight * active) + active - 1);
        return _throughput.PredictSeconds(ahead);
    }
}
