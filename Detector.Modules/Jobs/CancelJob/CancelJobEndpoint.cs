using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Jobs.CancelJob;

internal static class CancelJobEndpoint
{
    /// <summary>
    /// Cancels the items that have not started; running ones finish. 200 when the job is terminal
    /// afterwards, 202 while running items are still finishing; either way the body is the job.
    /// </summary>
    public static async Task<Results<Ok<JobView>, Accepted<JobView>, ProblemHttpResult>> Handle(
        Guid id, HttpContext http, ItemTransitions transitions, WebhookStore webhooks, JobDispatcher dispatcher, ILoggerFactory loggers, CancellationToken ct)
    {
        var outcome = await transitions.CancelAsync(http.User.GetTenantId(), id, ct);
        if (outcome is not { } o)
        {
            return GetJobEndpoint.NotFound(http, id);
        }

        if (o.Completion is { } completion)
        {
            await JobWorker.OnCompletedAsync(completion, dispatcher, loggers.CreateLogger("Detector.Modules.Jobs.CancelJob"), CancellationToken.None);
        }

        var attempts = o.Job.CallbackUrl is null ? [] : await webhooks.GetAttemptsAsync(id, ct);
        var view = JobView.From(o.Job, attempts);
        return JobStatus.IsTerminal(o.Job.Status) ? TypedResults.Ok(view) : TypedResults.Accepted(view.StatusUrl, view);
    }
}
