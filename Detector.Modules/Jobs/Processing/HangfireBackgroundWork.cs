using System.Linq.Expressions;
using Detector.Modules.Jobs.Contracts;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace Detector.Modules.Jobs.Processing;

/// <summary>Other modules' background work on Hangfire's <c>low</c> queue, through DI (never the static API).</summary>
internal sealed class HangfireBackgroundWork(IBackgroundJobClient client) : IBackgroundWork
{
    public const string Queue = "low";

    public string Enqueue<TWork>(Expression<Func<TWork, Task>> work)
        where TWork : class =>
        client.Create(Job.FromExpression(work), new EnqueuedState(Queue));
}
