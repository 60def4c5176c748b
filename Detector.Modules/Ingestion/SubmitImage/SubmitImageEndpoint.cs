using System.Security.Cryptography;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Common;
using Detector.Modules.Ingestion.Contracts;
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
    public static async Task<Results<Ok<ResultDocument>, Accepted<JobAccepted>>> Handle(
        [AsParameters] SubmitImageRequest query,
        HttpContext http,
        IObjectDetector detector,
        IImageStore images,
        IResultStore results,
        IOptions<IngestionOptions> options,
        CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();

        // Refuse before reading the upload: a saturated model answers in microseconds, and the
        // client is told when to come back. Callers that prefer async get a job instead.
        if (!PrefersAsync(http.Request) && detector.IsSaturated(query.Model, out var retryAfter))
        {
            throw new ProblemException(503, ErrorCodes.Overloaded, "Overloaded", "The model's queue is full; retry later.") { RetryAfterSeconds = retryAfter };
        }

        using var upload = await ImageBody.ReadAsync(http.Request, options.Value.MaxUploadBytes, ct);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(upload.Bytes.Span));

        var detectionOptions = DetectionOptions.From(query.MinScore, query.Iou, query.MaxDetections);
        DetectionOutcome outcome;
        try
        {
            outcome = await detector.DetectAsync(new DetectionRequest
            {
                Image = upload.Bytes,
                Model = query.Model,
                Options = detectionOptions,
                Priority = DetectionPriority.Interactive,
                Deadline = query.DeadlineMs is { } ms ? DateTimeOffset.UtcNow.AddMilliseconds(ms) : null,
            }, ct);
        }
        catch (ProblemException p) when (p.Status is 503 or 504 && p.Code != ErrorCodes.InferenceFailed && PrefersAsync(http.Request)
            && http.RequestServices.GetService<IJobSubmitter>() is { } jobs)
        {
            var accepted = await jobs.SubmitAsync(tenantId, [new JobImage(upload.Bytes, upload.FileName)], query.Model, detectionOptions, ct);
            http.Response.Headers["Preference-Applied"] = "respond-async";
            return TypedResults.Accepted(accepted.StatusUrl, accepted);
        }

        await images.PutAsync(sha256, upload.Bytes, ct);
        var document = ResultDocument.From(Guid.CreateVersion7(), "sync", outcome, sha256);
        await results.SaveAsync(tenantId, document, ct);
        http.Response.Headers["X-Queue-Wait-Ms"] = outcome.Timings.QueueMs.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["X-Batch-Size"] = outcome.Timings.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
