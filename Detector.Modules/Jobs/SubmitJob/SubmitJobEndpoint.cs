using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.WebhookSecrets;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Jobs.SubmitJob;

internal static class SubmitJobEndpoint
{
    public static async Task<Accepted<JobAccepted>> Handle(
        [AsParameters] SubmitJobRequest query,
        HttpContext http,
        JobSubmitter submitter,
        IUploadReader uploads,
        IImageStore images,
        IValidator<SubmitJobRequest> validator,
        ITenantDirectory tenants,
        IUsageMeter usage,
        WebhookSecretStore secrets,
        UnusedImages unused,
        IOptions<JobsOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();
        var plan = (await tenants.FindAsync(tenantId, ct))!.Plan;
        var limits = JobLimits.For(options.Value, plan);
        var contentType = http.Request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "Send multipart/form-data with repeated 'images' fields, or application/json with 'urls'.");
        }

        SubmitJobRequest settings;
        List<NewItem> items;
        var stored = new List<string>();
        string source;

        // Nothing refused is kept: whatever ends the submission before the job exists refunds the
        // quota and deletes the images it stored (UnusedImages), all in one place.
        QuotaReceipt? receipt = null;
        try
        {
            if (mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                settings = query;
                RequirePriorityAllowed(settings.Priority, plan);
                await RequireWebhookSecretAsync(settings.CallbackUrl, tenantId, secrets, ct);
                items = await ReadUploadsAsync(http.Request, tenantId, uploads, images, limits, stored, ct);
                source = "upload";
            }
            else if (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                // JSON is UTF-8 (RFC 8259); another or unknown charset made ReadFromJsonAsync throw a 500.
                if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !mediaType.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "JSON bodies must be UTF-8 (charset=utf-8, or no charset).");
                }

                var body = await ReadJsonAsync(http.Request, json.Value.SerializerOptions, ct);
                settings = new SubmitJobRequest
                {
                    Model = body.Model ?? query.Model,
                    MinScore = body.MinScore ?? query.MinScore,
                    Iou = body.Iou ?? query.Iou,
                    MaxDetections = body.MaxDetections ?? query.MaxDetections,
                    CallbackUrl = body.CallbackUrl ?? query.CallbackUrl,
                    Priority = body.Priority ?? query.Priority,
                };
                var validation = await validator.ValidateAsync(settings, ct);
                if (!validation.IsValid)
                {
                    throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", string.Join(" ", validation.Errors.Select(e => e.ErrorMessage)));
                }

                RequirePriorityAllowed(settings.Priority, plan);
                await RequireWebhookSecretAsync(settings.CallbackUrl, tenantId, secrets, ct);
                items = UrlItems(body.Urls, limits);
                source = "urls";
            }
            else
            {
                throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", $"Content-Type '{mediaType.MediaType}' is not accepted. Send multipart/form-data with repeated 'images' fields, or application/json with 'urls'.");
            }

            var job = new NewJob(
                Guid.CreateVersion7(),
                tenantId,
                source,
                settings.Priority ?? "normal",
                settings.Model,
                settings.MinScore,
                settings.Iou,
                settings.MaxDetections,
                settings.CallbackUrl); // webhook links come from Deployment:PublicBaseUrl, never from the request's Host header

            // Each image counts once against the quotas, here, whatever happens to its item later.
            receipt = await usage.ConsumeAsync(tenantId, plan, items.Count, ct);
            var accepted = await submitter.CreateAsync(job, items, ct);
            return TypedResults.Accepted(accepted.StatusUrl, accepted);
        }
        catch
        {
            if (receipt is not null)
            {
                await usage.RefundAsync(receipt, CancellationToken.None);
            }

            await unused.DiscardRefusedAsync(tenantId, stored);
            throw;
        }
    }

    private static async Task<SubmitJobBody> ReadJsonAsync(HttpRequest request, System.Text.Json.JsonSerializerOptions options, CancellationToken ct)
    {
        try
        {
            return await request.ReadFromJsonAsync<SubmitJobBody>(options, ct)
                ?? throw new ProblemException(400, ErrorCodes.EmptyBody, "Empty body", "The JSON body is null.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed JSON", ex.Message);
        }
    }

    private static List<NewItem> UrlItems(IList<string>? urls, JobLimits limits)
    {
        if (urls is null || urls.Count == 0)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", "urls must list at least one image URL.");
        }

        if (urls.Count > limits.MaxImagesPerJob)
        {
            throw TooMany(limits.MaxImagesPerJob);
        }

        var items = new List<NewItem>(urls.Count);
        for (var i = 0; i < urls.Count; i++)
        {
            if (!SubmitJobValidator.BeFetchable(urls[i]))
            {
                throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", $"urls[{i}] must be an absolute http or https URL of at most 2048 characters, without credentials or control characters.");
            }

            items.Add(new NewItem(i, null, urls[i], null));
        }

        return items;
    }

    /// <summary>
    /// Streams each image part into the image store as it arrives (so memory holds one image at a
    /// time); the reader enforces the per-image, per-job count and total byte limits.
    /// </summary>
    private static async Task<List<NewItem>> ReadUploadsAsync(HttpRequest request, Guid tenantId, IUploadReader uploads, IImageStore images, JobLimits limits, List<string> stored, CancellationToken ct)
    {
        var items = new List<NewItem>();
        await foreach (var upload in uploads.ReadImagesAsync(request, new UploadLimits(limits.MaxImageBytes, limits.MaxImagesPerJob, limits.MaxTotalBytes), ct))
        {
            using (upload)
            {
                var image = await images.PutAsync(tenantId, upload.Bytes, ct);
                stored.Add(image.Sha256);
                items.Add(new NewItem(items.Count, upload.FileName, null, image.Sha256));
            }
        }

        return items;
    }

    /// <summary>A callback is signed with the tenant's own secret, so the tenant must have one before it asks for callbacks.</summary>
    private static async Task RequireWebhookSecretAsync(string? callbackUrl, Guid tenantId, WebhookSecretStore secrets, CancellationToken ct)
    {
        if (callbackUrl is not null && !await secrets.HasActiveAsync(tenantId, ct))
        {
            throw new ProblemException(400, ErrorCodes.WebhookSecretMissing, "Webhook secret missing",
                "callback_url needs a webhook signing secret of this tenant: create one with POST /v1/webhook-secrets (it is shown once), then submit again.");
        }
    }

    /// <summary>Priorities are the plan's to grant: a tenant may ask only for those its plan allows.</summary>
    private static void RequirePriorityAllowed(string? priority, TenantPlan plan)
    {
        var asked = priority ?? "normal";
        if (!plan.AllowedPriorities.Contains(asked, StringComparer.Ordinal))
        {
            throw new ProblemException(403, ErrorCodes.PriorityNotAllowed, "Priority not allowed", $"The plan '{plan.Name}' allows priority {string.Join(", ", plan.AllowedPriorities)}, not {asked}.");
        }
    }

    private static ProblemException TooMany(int max) =>
        new(413, ErrorCodes.TooManyImages, "Too many images", $"A job may carry at most {max} images.");
}

/// <summary>A job's limits: the service's, tightened by the tenant's plan.</summary>
internal sealed record JobLimits(long MaxImageBytes, int MaxImagesPerJob, long MaxTotalBytes)
{
    public static JobLimits For(JobsOptions options, TenantPlan plan) => new(
        Math.Min(options.MaxImageBytes, plan.MaxImageBytes),
        Math.Min(options.MaxImagesPerJob, plan.MaxImagesPerJob),
        options.MaxTotalBytes);
}
