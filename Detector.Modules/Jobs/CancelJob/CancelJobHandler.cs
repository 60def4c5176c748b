using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Webhooks.Contracts;

namespace Detector.Modules.Jobs.CancelJob;

/// <summary>
/// Cancels the items that have not started; running ones finish. A job that this makes terminal
/// completes as if its last item had finished (metrics, its webhook). Null: not the tenant's job.
/// </summary>
internal sealed class CancelJobHandler(ItemTransitions transitions, JobCompletions completions, IWebhookAttempts webhooks)
{
    public async Task<JobView?> HandleAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        if (await transitions.CancelAsync(tenantId, jobId, ct) is not { } outcome)
        {
            return null;
        }

        if (outcome.Completion is { } completion)
        {
            await completions.OnCompletedAsync(completion, CancellationToken.None);
        }

        return await GetJobHandler.ViewAsync(outcome.Job, webhooks, ct);
    }
}
