using System.Runtime.CompilerServices;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;
using Prometheus;

namespace Detector.Tests.Unit.Inference;

public sealed class AdmissionControlTests
{
    [Fact]
    public void Admits_up_to_the_capacity_and_counts_each_refusal_beyond_it()
    {
        var (admission, rejected) = Create(capacity: 3, budget: TimeSpan.Zero);

        Assert.True(admission.TryAdmit(DetectionPriority.Interactive));
        Assert.True(admission.TryAdmit(DetectionPriority.Background));
        Assert.True(admission.TryAdmit(DetectionPriority.Interactive));
        Assert.False(admission.TryAdmit(DetectionPriority.Interactive));
        Assert.False(admission.TryAdmit(DetectionPriority.Background));
        Assert.Equal(2, rejected.Value);

        admission.Release(DetectionPriority.Background);
        Assert.True(admission.TryAdmit(DetectionPriority.Interactive));
        Assert.Equal(3, admission.Admitted);
    }

    [Fact]
    public void Interactive_requests_are_refused_once_their_expected_wait_exceeds_the_budget()
    {
        // 100 images/s and a 134 ms budget, aiming at 75 % of it (100.5 ms): a request with nine ahead
        // of it finishes at 100 ms (90 + its own 10).
        var (admission, _) = Create(capacity: 1000, budget: TimeSpan.FromMilliseconds(134), alwaysAdmitted: 2);
        admission.RecordBatch(images: 10, inferenceMs: 100, executors: 1);

        Assert.Equal(10, AdmitAll(admission, DetectionPriority.Interactive));
    }

    [Fact]
    public void Completions_that_run_behind_the_estimate_make_admission_stricter_and_never_laxer()
    {
        // As above, 10 fit the budget while completions match the estimate...
        var (admission, _) = Create(capacity: 1000, budget: TimeSpan.FromMilliseconds(134), alwaysAdmitted: 2);
        admission.RecordBatch(images: 10, inferenceMs: 100, executors: 1);

        // ...faster completions do not loosen it (the scale stays at 1)...
        for (var i = 0; i < 100; i++)
        {
            admission.ObserveCompletion(observedSeconds: 0.05, predictedSeconds: 0.1);
        }

        Assert.Equal(1.0, admission.LatencyScale);

        // ...and completions taking twice as long as predicted halve what fits.
        for (var i = 0; i < 200; i++)
        {
            admission.ObserveCompletion(observedSeconds: 0.2, predictedSeconds: 0.1);
        }

        Assert.InRange(admission.LatencyScale, 1.95, 2.0);
        Assert.Equal(5, AdmitAll(admission, DetectionPriority.Interactive));
    }

    [Fact]
    public void A_request_is_judged_by_its_own_deadline_when_it_names_one()
    {
        // 100 images/s, default budget 134 ms (aimed at 100.5), ten requests admitted (100 ms of work ahead).
        var (admission, _) = Create(capacity: 1000, budget: TimeSpan.FromMilliseconds(134), alwaysAdmitted: 2);
        admission.RecordBatch(images: 10, inferenceMs: 100, executors: 1);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(admission.TryAdmit(DetectionPriority.Interactive));
        }

        Assert.Equal(Admission.OverBudget, admission.Admit(DetectionPriority.Interactive, Guid.Empty, 0));
        Assert.Equal(Admission.Admitted, admission.Admit(DetectionPriority.Interactive, Guid.Empty, 0, TimeSpan.FromMilliseconds(500))); // a patient client
        Assert.Equal(Admission.OverBudget, admission.Admit(DetectionPriority.Interactive, Guid.Empty, 0, TimeSpan.FromMilliseconds(100))); // a hurried one
        Assert.Equal(Admission.OverBudget, admission.Admit(DetectionPriority.Interactive, Guid.Empty, 0, TimeSpan.FromMilliseconds(-5))); // already late
        Assert.Equal(Admission.Admitted, admission.Admit(DetectionPriority.Interactive, Guid.Empty, 0, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void Background_work_needs_only_room_not_budget()
    {
        var (admission, _) = Create(capacity: 50, budget: TimeSpan.FromMilliseconds(100), alwaysAdmitted: 2);
        admission.RecordBatch(images: 10, inferenceMs: 100, executors: 1);

        Assert.Equal(50, AdmitAll(admission, DetectionPriority.Background));
    }

    [Fact]
    public void Without_a_measured_throughput_the_budget_admits_up_to_the_capacity()
    {
        var (admission, _) = Create(capacity: 20, budget: TimeSpan.FromMilliseconds(1), alwaysAdmitted: 2);

        Assert.Equal(20, Enumerable.Range(0, 25).Count(_ => admission.TryAdmit(DetectionPriority.Interactive)));
    }

    [Fact]
    public void Retry_after_follows_the_backlog_and_stays_between_one_and_sixty_seconds()
    {
        var (admission, _) = Create(capacity: 100_000, budget: TimeSpan.Zero);
        Assert.Equal(1, admission.EstimateRetryAfterSeconds());

        admission.RecordBatch(images: 10, inferenceMs: 100, executors: 1);
        for (var i = 0; i < 499; i++)
        {
            admission.TryAdmit(DetectionPriority.Background);
        }

        Assert.Equal(5, admission.EstimateRetryAfterSeconds());
        for (var i = 0; i < 50_000; i++)
        {
            admission.TryAdmit(DetectionPriority.Background);
        }

        Assert.Equal(60, admission.EstimateRetryAfterSeconds());
    }

    [Fact]
    public void Throughput_is_a_moving_average_over_all_executors()
    {
        var (admission, _) = Create(capacity: 10, budget: TimeSpan.Zero);

        admission.RecordBatch(images: 4, inferenceMs: 40, executors: 2);
        Assert.Equal(200, admission.ImagesPerSecond, 6);
        admission.RecordBatch(images: 1, inferenceMs: 20, executors: 2);
        Assert.Equal((0.8 * 200) + (0.2 * 100), admission.ImagesPerSecond, 6);
    }

    [Fact]
    public void A_tenant_at_its_in_flight_limit_gets_its_own_refusal_while_other_tenants_are_admitted()
    {
        var (admission, _) = Create(capacity: 100, budget: TimeSpan.Zero);
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Admission.Admitted, admission.Admit(DetectionPriority.Interactive, a, maxInFlight: 3));
        }

        Assert.Equal(Admission.TenantInFlight, admission.Admit(DetectionPriority.Interactive, a, maxInFlight: 3));
        Assert.Equal(Admission.Admitted, admission.Admit(DetectionPriority.Interactive, b, maxInFlight: 3));

        admission.Release(DetectionPriority.Interactive, a);
        Assert.Equal(Admission.Admitted, admission.Admit(DetectionPriority.Interactive, a, maxInFlight: 3));
    }

    [Fact]
    public void A_flooding_tenant_is_refused_by_the_wait_budget_while_a_quiet_tenant_is_admitted()
    {
        // 100 images/s and a 100 ms budget: the flooder fills its own turn's worth, then waits.
        var (admission, _) = Create(capacity: 1000, budget: TimeSpan.FromMilliseconds(100), alwaysAdmitted: 2);
        admission.RecordBatch(images: 10, inferenceMs: 100, executors: 1);
        var flooder = Guid.NewGuid();
        var quiet = Guid.NewGuid();

        var admitted = 0;
        while (admission.Admit(DetectionPriority.Interactive, flooder, 0) == Admission.Admitted)
        {
            admitted++;
        }

        Assert.InRange(admitted, 5, 11);
        Assert.Equal(Admission.OverBudget, admission.Admit(DetectionPriority.Interactive, flooder, 0));
        Assert.Equal(Admission.Admitted, admission.Admit(DetectionPriority.Interactive, quiet, 0));
    }

    [Fact]
    public void Background_work_takes_at_most_its_share_of_the_queue_so_interactive_requests_find_room()
    {
        var rejected = new SchedulerMetrics($"admission-share-{Guid.NewGuid():N}", "v1").Rejected;
        var admission = new AdmissionControl(10, TimeSpan.Zero, 0, rejected, backgroundShare: 0.5);

        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => admission.TryAdmit(DetectionPriority.Background)));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => admission.TryAdmit(DetectionPriority.Interactive)));
        admission.Release(DetectionPriority.Background);
        Assert.True(admission.TryAdmit(DetectionPriority.Background));
    }

    /// <summary>Admits until admission says no; returns how many it took.</summary>
    private static int AdmitAll(AdmissionControl admission, DetectionPriority priority)
    {
        var admitted = 0;
        while (admission.TryAdmit(priority))
        {
            admitted++;
        }

        return admitted;
    }

    private static (AdmissionControl Admission, Counter.Child Rejected) Create(int capacity, TimeSpan budget, int alwaysAdmitted = 0, [CallerMemberName] string test = "")
    {
        var rejected = new SchedulerMetrics($"admission-{test}-{Guid.NewGuid():N}", "v1").Rejected;
        return (new AdmissionControl(capacity, budget, alwaysAdmitted, rejected), rejected);
    }
}
