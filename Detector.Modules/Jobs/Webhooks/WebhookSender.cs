using System.ComponentModel;
using Detector.Modules.Common;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Webhooks.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Webhooks;

/// <summary>
/// The completion webhook of a job, as a Hangfire job: one attempt per execution through the
/// Webhooks module (which signs, sends and records it), and the next attempt scheduled here with
/// the backoff it answers, until delivered or given up. The job's webhook state (pending, the
/// ticket, delivered or failed) is the job's, in jobs.jobs, so recovery finds a delivery whose
/// Hangfire job was lost (ADR 0006). Its links start with Deployment:PublicBaseUrl, never with a
/// request's Host header. The class keeps its name: Hangfire stores it with every queued delivery.
/// </summary>
internal sealed class WebhookSender(
    JobStore store,
    WebhookStore deliveries,
    ITenantDirectory tenants,
    IWebhookSender webhooks,
    JobDispatcher dispatcher,
    IOptions<DeploymentOptions> deployment)
{
    // Hangfire's own retries of an execution that failed outright come from Jobs options (JobsFilterProvider).
    [DisplayName("Webhook · job {0}")]
    public async Task DeliverAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var job = await store.GetForWorkerAsync(jobId, cancellationToken);
        if (job is null || job.WebhookStatus != "pending" || job.CallbackUrl is null)
        {
            return;
        }

        if (await tenants.FindAsync(job.TenantId, cancellationToken) is not { Disabled: false })
        {
            // A disabled tenant's webhooks wait too; no attempt is spent.
            await dispatcher.DeferWebhookAsync(jobId, cancellationToken);
            return;
        }

        using var activity = DetectorTelemetry.Source.StartActivity("job.webhook");
        activity?.SetTag("detector.job_id", jobId);
        var sent = await webhooks.SendAsync(new WebhookMessage(jobId, job.TenantId, job.CallbackUrl, Payload(job)), cancellationToken);
        switch (sent.Outcome)
        {
            case WebhookOutcome.Delivered:
                await deliveries.EndAsync(jobId, "delivered", cancellationToken);
                break;
            case WebhookOutcome.GaveUp:
                await deliveries.EndAsync(jobId, "failed", cancellationToken);
                break;
            default:
                await dispatcher.EnqueueWebhookAsync(jobId, sent.RetryAfter, cancellationToken);
                break;
        }
    }

    private object Payload(JobRow job)
    {
        var baseUrl = deployment.Value.PublicBaseUrl?.TrimEnd('/') ?? "";
        var path = JobSubmitter.StatusUrl(job.Id);
        return new
        {
            Type = "job.completed",
            Id = job.Id,
            Status = job.Status,
            Counts = new
            {
                job.Total,
                job.Succeeded,
                job.Failed,
                job.Cancelled,
                Pending = job.Total - job.Succeeded - job.Failed - job.Cancelled,
            },
            CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(job.CreatedAt, DateTimeKind.Utc)),
            FinishedAt = job.FinishedAt is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)) : (DateTimeOffset?)null,
            StatusUrl = baseUrl + path,
            ResultsUrl = baseUrl + path + "/results",
        };
    }
}
