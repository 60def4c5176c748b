using Detector.Modules.Common;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Webhooks.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.SubmitJob;

/// <summary>A bound submission: its options, and either the request whose image parts are still to be read or the image URLs.</summary>
internal sealed record JobSubmission(SubmitJobRequest Settings, HttpRequest? Uploads, IList<string>? Urls);

/// <summary>A job's limits: the service's, tightened by the tenant's plan.</summary>
internal sealed record JobLimits(long MaxImageBytes, int MaxImagesPerJob, long MaxTotalBytes)
{
    public static JobLimits For(JobsOptions options, TenantPlan plan) => new(
        Math.Min(options.MaxImageBytes, plan.MaxImageBytes),
        Math.Min(options.MaxImagesPerJob, plan.MaxImagesPerJob),
        options.MaxTotalBytes);
}

/// <summary>
/// Accepts a job: the plan's rules (priority, a webhook secret for a callback), the images stored
/// or the URLs checked, the quota counted once per image, then the job committed and dispatched.
/// </summary>
internal sealed class SubmitJobHandler(
    JobSubmitter submitter,
    JobIntake intake,
    ITenantDirectory tenants,
    IUsageMeter usage,
    IWebhookSecrets webhooks,
    IOptions<JobsOptions> options)
{
    public async Task<JobAccepted> HandleAsync(Guid tenantId, JobSubmission submission, CancellationToken ct)
    {
        var plan = (await tenants.FindAsync(tenantId, ct))!.Plan;
        var limits = JobLimits.For(options.Value, plan);
        var settings = submission.Settings;

        // Nothing refused is kept: whatever ends the submission before the job exists refunds the
        // quota and deletes the images it stored, all in one place.
        var stored = new List<string>();
        QuotaReceipt? receipt = null;
        try
        {
            RequirePriorityAllowed(settings.Priority, plan);
            await RequireWebhookSecretAsync(settings.CallbackUrl, tenantId, ct);
            var items = submission.Uploads is { } request
                ? await intake.StoreUploadsAsync(request, tenantId, limits, stored, ct)
                : JobIntake.UrlItems(submission.Urls, limits);
            var job = new NewJob(
                Guid.CreateVersion7(),
                tenantId,
                submission.Uploads is null ? "urls" : "upload",
                settings.Priority ?? "normal",
                settings.Model ?? plan.DefaultModel,
                settings.MinScore,
                settings.Iou,
                settings.MaxDetections,
                settings.CallbackUrl); // webhook links come from Deployment:PublicBaseUrl, never from the request's Host header

            // Each image counts once against the quotas, here, whatever happens to its item later.
            receipt = await usage.ConsumeAsync(tenantId, plan, items.Count, ct);
            return await submitter.CreateAsync(job, items, ct);
        }
        catch
        {
            if (receipt is not null)
            {
                await usage.RefundAsync(receipt, CancellationToken.None);
            }

            await intake.DiscardAsync(tenantId, stored);
            throw;
        }
    }

    /// <summary>A callback is signed with the tenant's own secret, so the tenant must have one before it asks for callbacks.</summary>
    private async Task RequireWebhookSecretAsync(string? callbackUrl, Guid tenantId, CancellationToken ct)
    {
        if (callbackUrl is not null && !await webhooks.HasActiveAsync(tenantId, ct))
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.WebhookSecretMissing, "Webhook secret missing",
                "callback_url needs a webhook signing secret of this tenant: create one with POST /v1/webhook-secrets (it is shown once), then submit again.");
        }
    }

    /// <summary>Priorities are the plan's to grant: a tenant may ask only for those its plan allows.</summary>
    private static void RequirePriorityAllowed(string? priority, TenantPlan plan)
    {
        var asked = priority ?? "normal";
        if (!plan.AllowedPriorities.Contains(asked, StringComparer.Ordinal))
        {
            throw new DomainException(OutcomeKind.Forbidden, ErrorCodes.PriorityNotAllowed, "Priority not allowed", $"The plan '{plan.Name}' allows priority {string.Join(", ", plan.AllowedPriorities)}, not {asked}.");
        }
    }
}
