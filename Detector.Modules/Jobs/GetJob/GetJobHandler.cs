using Detector.Modules.Jobs.Storage;
using Detector.Modules.Webhooks.Contracts;

namespace Detector.Modules.Jobs.GetJob;

/// <summary>One job of the tenant with its webhook's attempts; another tenant's job is not found, like a missing one.</summary>
internal sealed class GetJobHandler(JobStore store, IWebhookAttempts webhooks)
{
    public async Task<JobView?> HandleAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        var job = await store.GetAsync(tenantId, jobId, ct);
        return job is null ? null : await ViewAsync(job, webhooks, ct);
    }

    /// <summary>The job as the API shows it (GET, and DELETE's answer).</summary>
    public static async Task<JobView> ViewAsync(JobRow job, IWebhookAttempts webhooks, CancellationToken ct) =>
        JobView.From(job, job.CallbackUrl is null ? [] : await webhooks.ListAsync(job.Id, ct));
}
