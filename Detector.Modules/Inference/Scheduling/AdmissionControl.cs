using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Detector.Modules.Inference.Contracts;
using Prometheus;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>Why admission said no.</summary>
internal enum Admission
{
    Admitted,
    QueueFull,
    OverBudget,
    TenantInFlight,
}

/// <summary>
/// Who may enter a model's queue: reservations up to the capacity (background work only up to
/// its share, so interactive work always has room), a tenant's in-flight limit, a wait budget
/// for interactive requests judged on the measured throughput and on the request's place in the
/// round-robin over tenants, the refusal before an upload is read, and the Retry-After estimate.
/// Lock-free; the batch loop reports each batch's throughput.
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
    private static readonly StrongBox<int> NothingInFlight = new();

    /// <summary>Expected completion may use this share of a budget (measured: at 1.0, accepted p95 at c=64 was 598 ms for a 500 ms budget).</summary>
    public const double ExpectedShareOfBudget = 0.75;

    private readonly long _defaultBudgetTicks = (long)(defaultBudget.TotalSeconds * Stopwatch.Frequency);
    private readonly int _backgroundCapacity = Math.Max(1, (int)(queueCapacity * Math.Clamp(backgroundShare, 0, 1)));
    private readonly ConcurrentDictionary<Guid, StrongBox<int>> _tenants = new();
    private int _admitted;
    private int _admittedInteractive;
    private int _admittedBackground;
    private int _activeTenants;
    private double _imagesPerSecond;
    private int _executors = 1;
    private double _latencyScale = 1.0;

    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Interactive requests holding a place (reserved before their body, decoding, queued or running).</summary>
    public int AdmittedInteractive => Volatile.Read(ref _admittedInteractive);

    /// <summary>Smoothed images per second of the model's executors together; 0 until the first batch.</summary>
    public double ImagesPerSecond => Volatile.Read(ref _imagesPerSecond);

    /// <summary>Reserves room for one request (or counts a refusal and returns false).</summary>
    public bool TryAdmit(DetectionPriority priority) => Admit(priority, Guid.Empty, 0) == Admission.Admitted;

    /// <summary>How far measured completions ran behind the estimate (1 = on time; at most 3): the feedback that corrects it.</summary>
    public double LatencyScale => Volatile.Read(ref _latencyScale);

    /// <summary>Reserves room for one request of <paramref name="tenant"/>, which may have at most <paramref name="maxInFlight"/> interactive requests in (0: no limit).</summary>
    /// <param name="budget">How long the request may take from now (its deadline); null: the default sync budget.</param>
    public Admission Admit(DetectionPriority priority, Guid tenant, int maxInFlight, TimeSpan? budget = null) =>
        Admit(priority, tenant, maxInFlight, budget, out _);

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

    public void Release(DetectionPriority priority) => Release(priority, Guid.Empty);

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

    /// <summary>
    /// The check before an upload is read: refuses (and counts the refusal) when a new
    /// interactive request of the tenant would not be admitted now. Reserves nothing.
    /// </summary>
    public bool TryRefuseInteractive() => TryRefuseInteractive(Guid.Empty, 0) != Admission.Admitted;

    public Admission TryRefuseInteractive(Guid tenant, int maxInFlight, TimeSpan? budget = null)
    {
        // A check, not a reservation: a tenant without an entry has nothing in flight, and asking adds none.
        var box = _tenants.TryGetValue(tenant, out var known) ? known : NothingInFlight;
        var verdict = Volatile.Read(ref _admitted) >= queueCapacity ? Admission.QueueFull : Judge(box, maxInFlight, budget, out _);
        if (verdict != Admission.Admitted)
        {
            rejected.Inc();
        }

        return verdict;
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
        var rate = ImagesPerSecond;
        if (rate <= 0)
        {
            return 0;
        }

        // In turns over the active tenants, the request is served after its own tenant's backlog,
        // with one request of every other active tenant per place in it, and one more of each
        // before its own turn: tenantInFlight x active + (active - 1), never more than all there is.
        var total = Volatile.Read(ref _admittedInteractive);
        var active = Math.Max(1, Volatile.Read(ref _activeTenants) + (tenantInFlight == 0 ? 1 : 0));
        var ahead = Math.Min(total, ((long)tenantInFlight * active) + active - 1);
        var ownRun = Volatile.Read(ref _executors); // one image on one executor takes executors / rate
        return (ahead + ownRun) / rate;
    }
}
