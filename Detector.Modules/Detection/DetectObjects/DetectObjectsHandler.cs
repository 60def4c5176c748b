using Detector.Modules.Common;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Detection.DetectObjects;

/// <summary>A bound detect request: who asks, its options, whether it prefers a job to a refusal, and the request whose body is the image.</summary>
internal sealed record DetectObjectsCommand(Guid TenantId, DetectObjectsRequest Query, bool PrefersAsync, DateTimeOffset? Deadline, HttpRequest Request)
{
    /// <summary>The key that asks, recorded with the result.</summary>
    public Guid? KeyId { get; init; }
}

/// <summary>How a detect request ended: refused before its body was read, detected, or turned into a one-image job.</summary>
internal abstract record DetectObjectsOutcome
{
    public sealed record Refused(DomainException Problem) : DetectObjectsOutcome;

    public sealed record Detected(ResultDocument Document) : DetectObjectsOutcome;

    public sealed record Deferred(JobAccepted Job) : DetectObjectsOutcome;
}

/// <summary>The image's upload limit: the service's, tightened by the tenant's plan.</summary>
internal sealed class DetectUploads(IUploadReader uploads, IOptions<DetectApiOptions> options)
{
    public Task<UploadedImage> ReadAsync(HttpRequest request, TenantPlan plan, CancellationToken ct) =>
        uploads.ReadImageAsync(request, Math.Min(options.Value.MaxUploadBytes, plan.MaxImageBytes), ct);
}

/// <summary>
/// The sync detect use case: admission before the body is read (a saturated model refuses in
/// microseconds), the quota counted once, detect and record; with <c>Prefer: respond-async</c>
/// (RFC 7240), a request that cannot be served in time (overloaded, deadline passed, model
/// loading) becomes a one-image job instead.
/// </summary>
internal sealed class DetectObjectsHandler(
    ITenantDirectory tenants,
    IUsageMeter usage,
    IObjectDetector detector,
    DetectUploads uploads,
    IDetectionRecorder recorder,
    IJobSubmitter jobs)
{
    public async Task<DetectObjectsOutcome> HandleAsync(DetectObjectsCommand command, CancellationToken ct)
    {
        var (tenantId, query) = (command.TenantId, command.Query);
        var plan = (await tenants.FindAsync(tenantId, ct))!.Plan;
        var allowDegradation = query.AllowDegradation ?? true;
        // A request that names no model gets its plan's default (a model, version or alias), else the service's.
        var model = query.Model ?? plan.DefaultModel;
        // A subject is the tenant's own: two tenants' "user-1" are two subjects.
        var subject = query.SubjectId is { } id ? $"{tenantId}:{id}" : null;

        // Refuse before reading the upload, and answer the refusal instead of throwing it: under a
        // refusal storm, unwinding an exception through every middleware for each one cost more
        // than the rest of the refusal. Callers that prefer async get a job instead.
        AdmissionTicket? ticket = null;
        if (!command.PrefersAsync)
        {
            // A place reserved now is the request's: nothing refuses it once its body is read.
            ticket = detector.AdmitEarly(model, tenantId, subject, plan.MaxInFlight, command.Deadline, allowDegradation, out var refused);
            if (refused is not null)
            {
                return new DetectObjectsOutcome.Refused(refused);
            }
        }

        using var admission = ticket;
        using var upload = await uploads.ReadAsync(command.Request, plan, ct);
        var detectionOptions = DetectionOptions.From(query.MinScore, query.Iou, query.MaxDetections);

        // The image counts against the quotas once accepted; a detection that fails gives it back.
        var receipt = await usage.ConsumeAsync(tenantId, plan, 1, ct);
        try
        {
            return new DetectObjectsOutcome.Detected(await recorder.RecordAsync(new RecordDetection(tenantId, Guid.CreateVersion7(), "sync", new DetectionRequest
            {
                Image = upload.Bytes,
                Model = model,
                Options = detectionOptions,
                Priority = DetectionPriority.Interactive,
                Deadline = command.Deadline,
                TenantId = tenantId,
                Subject = subject,
                MaxInFlight = plan.MaxInFlight,
                Ticket = ticket,
                AllowDegradation = allowDegradation,
            }, StoreImage: plan.StoreImages) { Upload = upload, Calibrated = query.Calibrated == true, CreatedByKey = command.KeyId }, ct));
        }
        catch (DomainException p) when (p.Kind is OutcomeKind.Overloaded or OutcomeKind.Unavailable or OutcomeKind.DeadlineExceeded && p.Code != ErrorCodes.InferenceFailed && command.PrefersAsync)
        {
            // Still counted once: the job carries the same image.
            return new DetectObjectsOutcome.Deferred(await jobs.SubmitAsync(tenantId, [new JobImage(upload.Bytes, upload.FileName)], model, detectionOptions, ct));
        }
        catch
        {
            await usage.RefundAsync(receipt, CancellationToken.None);
            throw;
        }
    }
}
