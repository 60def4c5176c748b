using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

/// <summary>
/// Admission as these tests use it: requests of no tenant (<see cref="Guid.Empty"/>), no in-flight
/// limit, and a judgement whose predicted completion they do not need. The service always admits
/// with a tenant and keeps the prediction, so these shorthands live here, not in the scheduler
/// (they were its dead code until issue 21).
/// </summary>
internal static class AdmissionShorthands
{
    public static bool TryAdmit(this AdmissionControl admission, DetectionPriority priority) =>
        admission.Admit(priority, Guid.Empty, 0, null, out _) == Admission.Admitted;

    public static Admission Admit(this AdmissionControl admission, DetectionPriority priority, Guid tenant, int maxInFlight, TimeSpan? budget = null) =>
        admission.Admit(priority, tenant, maxInFlight, budget, out _);

    public static void Release(this AdmissionControl admission, DetectionPriority priority) => admission.Release(priority, Guid.Empty);

    public static bool TryAdmit(this BatchScheduler scheduler, DetectionPriority priority = DetectionPriority.Interactive) =>
        scheduler.Admit(priority, Guid.Empty, 0, null, out _) == Admission.Admitted;

    public static Admission Admit(this BatchScheduler scheduler, DetectionPriority priority, Guid tenant, int maxInFlight, TimeSpan? budget = null) =>
        scheduler.Admit(priority, tenant, maxInFlight, budget, out _);

    public static void Release(this BatchScheduler scheduler, DetectionPriority priority = DetectionPriority.Interactive) => scheduler.Release(priority, Guid.Empty);
}
