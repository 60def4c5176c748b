using System.Linq.Expressions;

namespace Detector.Modules.Jobs.Contracts;

/// <summary>
/// Long background work other modules hand to the job queue: durable in PostgreSQL, run by any
/// instance's workers on the low-priority queue (after callers' jobs), retried after a failure and
/// picked up again after a crash, and visible in the Hangfire dashboard. The work must be
/// resumable: a retry runs the same call again from the start.
/// </summary>
public interface IBackgroundWork
{
    /// <summary>Enqueues <paramref name="work"/> (a method of a type registered in DI); answers the queue's job id.</summary>
    string Enqueue<TWork>(Expression<Func<TWork, Task>> work)
        where TWork : class;
}
