using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Modules.Inference.Pipeline;

/// <summary>
/// A request's place in its model's queue, reserved before it is decoded (or before its body is
/// read, by <see cref="IObjectDetector.AdmitEarly"/>), and the answer when there is none: the
/// tenant's own limit is its 429, a full model everyone's 503.
/// </summary>
internal static class DetectionAdmission
{
    /// <summary>Reserves a place in the model's queue (released when the ticket is disposed), or throws the refusal.</summary>
    public static AdmissionTicket AdmitOrThrow(LoadedModel model, string name, DetectionPriority priority, Guid tenant, int maxInFlight, DateTimeOffset? deadline) =>
        Admit(model, name, priority, tenant, maxInFlight, deadline, out var refused) ?? throw refused!;

    /// <summary>Reserves a place in the model's queue (released when the ticket is disposed), or returns null with the refusal.</summary>
    /// <param name="requestedModel">The model the client asked for when the ladder chose <paramref name="name"/> instead; null: the same.</param>
    public static AdmissionTicket? Admit(LoadedModel model, string name, DetectionPriority priority, Guid tenant, int maxInFlight, DateTimeOffset? deadline, out DomainException? refusal, string? requestedModel = null, string? rung = null, string variant = "production")
    {
        var scheduler = model.Scheduler;
        refusal = Refusal(model, scheduler.Admit(priority, tenant, maxInFlight, BudgetOf(deadline), out var predicted));
        return refusal is null
            ? new AdmissionTicket(name, () => scheduler.Release(priority, tenant)) { RequestedModel = requestedModel ?? name, Rung = rung, Variant = variant, PredictedSeconds = predicted }
            : null;
    }

    /// <summary>What is left of a request's own deadline; null (no deadline) lets the default sync budget apply.</summary>
    private static TimeSpan? BudgetOf(DateTimeOffset? deadline) => deadline is { } d ? d - DateTimeOffset.UtcNow : null;

    /// <summary>The answer to a refused admission: the tenant's own limit is its 429, a full model everyone's 503.</summary>
    private static DomainException? Refusal(LoadedModel model, Admission admission)
    {
        if (admission == Admission.Admitted)
        {
            return null;
        }

        model.Metrics.Rejected.Inc();
        return admission == Admission.TenantInFlight
            ? new DomainException(OutcomeKind.TooManyRequests, ErrorCodes.ConcurrencyLimited, "Too many requests in flight", "This tenant has as many requests in the pipeline as its plan allows; retry when one finishes.") { RetryAfterSeconds = 1 }
            : new DomainException(OutcomeKind.Overloaded, ErrorCodes.Overloaded, "Overloaded", $"Model '{model.Manifest.Name}' has a full queue; retry later.") { RetryAfterSeconds = model.Scheduler.EstimateRetryAfterSeconds() };
    }
}
