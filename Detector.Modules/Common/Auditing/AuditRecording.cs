using Microsoft.Extensions.Logging;
using Prometheus;

namespace Detector.Modules.Common.Auditing;

/// <summary>
/// Recording an audit event without waiting for it. An answer must not wait for the audit log's
/// commit, but a record nobody awaits must not fail unseen either: a discarded faulted task is
/// only noticed, if ever, by the finalizer thread's last-chance handler, without the action it
/// concerned. Here every such failure is counted and logged once, with its action, and never
/// reaches the caller (the action itself already happened).
/// </summary>
public static partial class AuditRecording
{
    internal static readonly Counter Failures = Metrics.CreateCounter(
        "detector_audit_record_failures_total",
        "Audit records started without waiting that failed with an exception or were cancelled (the action went ahead), by action. Entries the audit log itself drops are detector_audit_failures_total.",
        new CounterConfiguration { LabelNames = ["action"] });

    /// <summary>
    /// Records <paramref name="auditEvent"/> in the background: the call returns at once, and a
    /// failure (thrown at once or later) is counted in <c>detector_audit_record_failures_total</c>
    /// and logged through <paramref name="logger"/>. Await <see cref="IAuditTrail.RecordAsync"/>
    /// instead only where the caller must know the entry is durable (an erase receipt).
    /// </summary>
    public static void Record(this IAuditTrail trail, AuditEvent auditEvent, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(trail);
        ArgumentNullException.ThrowIfNull(auditEvent);
        ArgumentNullException.ThrowIfNull(logger);
        Task<bool> recording;
        try
        {
            recording = trail.RecordAsync(auditEvent, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Failed(logger, auditEvent.Action, ex);
            return;
        }

        if (recording.IsCompletedSuccessfully)
        {
            return;
        }

        // Reading the fault observes it; a record that completes (true or false: the trail counts
        // its own drops) cancels this continuation, which nothing awaits and which cannot fault.
        _ = recording.ContinueWith(
            static (task, state) =>
            {
                var (log, action) = ((ILogger, string))state!;
                Failed(log, action, task.Exception?.GetBaseException() ?? new TaskCanceledException(task));
            },
            (logger, auditEvent.Action),
            CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static void Failed(ILogger logger, string action, Exception exception)
    {
        Failures.WithLabels(action).Inc();
        LogFailed(logger, action, exception);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit record of {Action} failed; the action itself went ahead")]
    private static partial void LogFailed(ILogger logger, string action, Exception exception);
}
