using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Ingestion.SubmitImage;

internal static class SubmitImageEndpoint
{
    /// <summary>
    /// With <c>Prefer: respond-async</c> (RFC 7240), a request that cannot be served in time
    /// (overloaded, deadline passed, model loading) becomes a one-image job: 202 and its status URL.
    /// </summary>
    public static async Task<Results<Ok<ResultDocument>, Accepted<JobAccepted>, ProblemResult>> Handle(
        [AsParameters] SubmitImageRequest query,
        HttpContext http,
        IObjectDetector detector,
        IUploadReader uploads,
        IDetectionRecorder recorder,
        IJobSubmitter jobs,
        ITenantDirectory tenants,
        IUsageMeter usage,
        IOptions<IngestionOptions> options,
        CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();
        var plan = (await tenants.FindAsync(tenantId, ct))!.Plan;
        var prefersAsync = PrefersAsync(http.Request);
        var allowDegradation = query.AllowDegradation ?? true;
        DateTimeOffset? deadline = query.DeadlineMs is { } ms ? DateTimeOffset.UtcNow.AddMilliseconds(ms) : null;

        // Refuse before reading the upload: a saturated model answers in microseconds, and the
        // client is told when to come back. Callers that prefer async get a job instead.
        // The refusal is answered, not thrown: under a refusal storm, unwinding an exception
        // through every middleware for each one cost more than the rest of the refusal.
        AdmissionTicket? ticket = null;
        if (!prefersAsync)
        {
            // A place reserved now is the request's: nothing refuses it once its body is read.
            ticket = detector.AdmitEarly(query.Model, tenantId, plan.MaxInFlight, deadline, allowDegradation, out var refused);
            if (refused is not null)
            {
                if (refused.Status == StatusCodes.Status503ServiceUnavailable && options.Value.RefusalHoldMs > 0)
                {
                    await Task.Delay(options.Value.RefusalHoldMs, ct);
                }

                return refused.ToResult();
            }
        }

        using var admission = ticket;

        using var upload = await uploads.ReadImageAsync(http.Request, Math.Min(options.Value.MaxUploadBytes, plan.MaxImageBytes), ct);
        var detectionOptions = DetectionOptions.From(query.MinScore, query.Iou, query.MaxDetections);

        // The image counts against the quotas once accepted; a detection that fails gives it back.
        var receipt = await usage.ConsumeAsync(tenantId, plan, 1, ct);
        ResultDocument document;
        try
        {
            document = await recorder.RecordAsync(new RecordDetection(tenantId, Guid.CreateVersion7(), "sync", new DetectionRequest
            {
                Image = upload.Bytes,
                Model = query.Model,
                Options = detectionOptions,
                Priority = DetectionPriority.Interactive,
                Deadline = deadline,
                TenantId = tenantId,
                MaxInFlight = plan.MaxInFlight,
                Ticket = ticket,
                AllowDegradation = allowDegradation,
            }, StoreImage: plan.StoreImages), ct);
        }
        catch (ProblemException p) when (p.Status is 503 or 504 && p.Code != ErrorCodes.InferenceFailed && prefersAsync)
        {
            // Still counted once: the job carries the same image.
            var accepted = await jobs.SubmitAsync(tenantId, [new JobImage(upload.Bytes, upload.FileName)], query.Model, detectionOptions, ct);
            http.Response.Headers["Preference-Applied"] = "respond-async";
            http.Response.Headers["X-Degradation"] = "async_fallback";
            return TypedResults.Accepted(accepted.StatusUrl, accepted);
        }
        catch
        {
            await usage.RefundAsync(receipt, CancellationToken.None);
            throw;
        }

        http.Response.Headers["X-Queue-Wait-Ms"] = document.Timings.QueueMs.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["X-Batch-Size"] = document.Timings.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (document.Degradation is { } degraded)
        {
            // Announced in the header too, so a client can tell without parsing the body.
            http.Response.Headers["X-Degradation"] = degraded.Rung;
        }
        return TypedResults.Ok(document);
    }

    private static bool PrefersAsync(HttpRequest request)
    {
        foreach (var value in request.Headers["Prefer"])
        {
            foreach (var preference in (value ?? "").Split(','))
            {
                if (preference.Split(';')[0].Trim().Equals("respond-async", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
