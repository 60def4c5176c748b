using System.ComponentModel;
using Detector.Modules.Common;
using Detector.Modules.Common.Resilience;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.UrlFetch;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Runs one chunk of a job's items through the detection pipeline at background priority.
/// Idempotent: items are claimed under a lease and finished with guarded state changes, and the
/// result id is a function of (job, index), so a retried, duplicated or resumed execution adds
/// nothing twice. Items whose lease is held by another live process are left to it.
/// </summary>
internal sealed partial class JobWorker(
    JobStore store,
    ItemTransitions transitions,
    WorkerIdentity worker,
    JobDispatcher dispatcher,
    IImageStore images,
    IDetectionRecorder recorder,
    IInferenceReadiness readiness,
    ITenantDirectory tenants,
    UrlFetcher fetcher,
    IImageSanitizer sanitizer,
    HeldItems held,
    IOptions<JobsOptions> options,
    ILogger<JobWorker> logger)
{
    private readonly JobsOptions _options = options.Value;

    // Unexpected failures (database down while claiming) are retried by Hangfire; item-level
    // transient failures are rescheduled per item below with our own backoff.
    [DisplayName("Detect · tenant {0} · job {1} · items {2}–{3}")]
    [AutomaticRetry(Attempts = 5, DelaysInSeconds = [5, 15, 60, 300, 900])]
    public async Task ProcessAsync(Guid tenantId, Guid jobId, int first, int last, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("job.chunk");
        activity?.SetTag("detector.job_id", jobId);
        activity?.SetTag("detector.tenant_id", tenantId);
        activity?.SetTag("detector.items", $"{first}-{last}");

        var job = await store.GetForWorkerAsync(jobId, cancellationToken);
        if (job is null || job.TenantId != tenantId)
        {
            LogJobMissing(logger, jobId);
            return;
        }

        var tenant = await tenants.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            LogJobMissing(logger, jobId);
            return;
        }

        if (tenant.Disabled)
        {
            // A disabled tenant's work waits, unclaimed and uncounted: the chunk comes back later.
            LogTenantDisabled(logger, tenantId, jobId);
            await dispatcher.ScheduleChunkAsync(tenantId, jobId, first, last, JobStore.QueueFor(job.Priority), TimeSpan.FromSeconds(_options.DisabledTenantRecheckSeconds), cancellationToken);
            return;
        }

        await readiness.WhenReady.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        var items = await transitions.ClaimAsync(jobId, first, last, worker, TimeSpan.FromSeconds(_options.LeaseSeconds), cancellationToken);
        if (items.Count == 0)
        {
            return;
        }

        var tasks = new Task[items.Count];
        foreach (var item in items)
        {
            held.Hold(jobId, item.Idx);
        }

        for (var i = 0; i < items.Count; i++)
        {
            tasks[i] = ProcessItemAsync(job, items[i], tenant.Plan.StoreImages, cancellationToken);
        }

        await Task.WhenAll(tasks);
    }

    private async Task ProcessItemAsync(JobRow job, ItemRow item, bool storeImages, CancellationToken ct)
    {
        try
        {
            await ProcessItemCoreAsync(job, item, storeImages, ct);
        }
        finally
        {
            // Finished, requeued, or dropped by an exception: its lease is no longer renewed.
            held.Release(job.Id, item.Idx);
        }

        if (!storeImages && item.ImageSha256?.Trim() is { } sha256 && !await store.AwaitsImageAsync(job.TenantId, sha256, ct))
        {
            // A plan that keeps no images holds a job's upload only until its items are done.
            await images.DeleteAsync(job.TenantId, sha256, CancellationToken.None);
        }
    }

    private async Task ProcessItemCoreAsync(JobRow job, ItemRow item, bool storeImages, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("job.item");
        activity?.SetTag("detector.job_id", job.Id);
        activity?.SetTag("detector.item_index", item.Idx);
        if (item.Attempts > _options.MaxAttempts)
        {
            // Attempts are counted at the claim, so an attempt whose process died (killed, out of
            // memory, or crashed by this very item) counts too: a poison item fails here instead
            // of taking down every worker that claims it, forever.
            LogAttemptsExhausted(logger, job.Id, item.Idx, item.Attempts - 1);
            await FinishAsync(job, item.Idx, ItemState.Failed, null, ErrorCodes.AttemptsExhausted,
                $"{item.Attempts - 1} attempts ended without a result (the processes running them stopped); the item is not tried again.", ct);
            return;
        }

        try
        {
            byte[] bytes;
            StoredImage? stored = null;
            if (item.ImageSha256?.Trim() is { } sha256)
            {
                bytes = await images.GetAsync(job.TenantId, sha256, ct)
                    ?? throw new ProblemException(500, ErrorCodes.ImageMissing, "Image missing", "The stored image of this item is gone from the image store.");
                stored = new StoredImage(sha256, bytes.Length);
            }
            else
            {
                bytes = await fetcher.FetchImageAsync(new Uri(item.Url!), ct);
                // A fetched photo is stripped like an upload before it is decoded or stored.
                var length = sanitizer.StripMetadata(bytes);
                bytes = length == bytes.Length ? bytes : bytes[..length];
            }

            var resultId = JobStore.ResultIdFor(job.Id, item.Idx);
            await recorder.RecordAsync(new RecordDetection(job.TenantId, resultId, "job", new DetectionRequest
            {
                Image = bytes,
                Model = job.Model,
                Options = DetectionOptions.From(job.MinScore, job.Iou, job.MaxDetections),
                Priority = DetectionPriority.Background,
                TenantId = job.TenantId,
            }, stored, storeImages), ct);
            await FinishAsync(job, item.Idx, ItemState.Succeeded, resultId, null, null, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw; // shutting down: Hangfire puts the chunk back and the item is taken over
        }
        catch (Exception ex) when (IsPermanent(ex, out var code, out var detail))
        {
            await FinishAsync(job, item.Idx, ItemState.Failed, null, code, detail, ct);
        }
        catch (Exception ex)
        {
            var (code, detail) = Describe(ex);
            if (item.Attempts >= _options.MaxAttempts)
            {
                LogGaveUp(logger, job.Id, item.Idx, item.Attempts, code, ex);
                await FinishAsync(job, item.Idx, ItemState.Failed, null, code, detail, ct);
                return;
            }

            var delay = Backoff.Jittered(item.Attempts, _options.RetryInitialDelaySeconds, _options.RetryMaxDelaySeconds);
            LogRetry(logger, job.Id, item.Idx, item.Attempts, code, delay.TotalSeconds);
            JobsMetrics.ItemRetries.Inc();
            if (await transitions.RequeueForRetryAsync(job.Id, item.Idx, worker.LeaseOwner, code, detail, ct))
            {
                // A crash before the retry is scheduled leaves the item queued without a ticket: the sweep dispatches it.
                await dispatcher.ScheduleRetryAsync(job.TenantId, job.Id, item.Idx, item.Queue, delay, ct);
            }
        }
    }

    private async Task FinishAsync(JobRow job, int idx, string state, Guid? resultId, string? code, string? detail, CancellationToken ct)
    {
        var (changed, completion) = await transitions.FinishAsync(job.Id, idx, state, resultId, code, detail, worker.Instance, ct);
        if (!changed)
        {
            return;
        }

        JobsMetrics.Items.WithLabels(state).Inc();
        if (completion is not null)
        {
            await OnCompletedAsync(completion, dispatcher, logger, ct);
        }
    }

    /// <summary>Metrics, log and the webhook of a job that just reached a terminal status.</summary>
    internal static async Task OnCompletedAsync(JobCompletion completion, JobDispatcher dispatcher, ILogger logger, CancellationToken ct)
    {
        var seconds = (completion.FinishedAt - completion.CreatedAt).TotalSeconds;
        JobsMetrics.CompletionTime.WithLabels(completion.Status).Observe(Math.Max(0, seconds));
        LogCompleted(logger, completion.JobId, completion.Status, seconds);
        if (completion.HasCallback)
        {
            // If this enqueue is lost (crash), the sweep finds the pending webhook and enqueues it.
            await dispatcher.EnqueueWebhookAsync(completion.JobId, null, ct);
        }
    }

    /// <summary>Client-side problems (bad image, unknown model, forbidden URL) never get better by retrying.</summary>
    private static bool IsPermanent(Exception ex, out string code, out string detail)
    {
        switch (ex)
        {
            case ProblemException p when p.Status is >= 400 and < 500 and not 408 and not 429:
                code = p.Code;
                detail = p.Detail ?? p.Title;
                return true;
            case UrlFetchException { Transient: false } u:
                code = u.Code;
                detail = u.Message;
                return true;
            default:
                code = "";
                detail = "";
                return false;
        }
    }

    private static (string Code, string Detail) Describe(Exception ex) => ex switch
    {
        ProblemException p => (p.Code, p.Detail ?? p.Title),
        UrlFetchException u => (u.Code, u.Message),
        TimeoutException => (ErrorCodes.DeadlineExceeded, ex.Message),
        _ => (ErrorCodes.Internal, ex.GetType().Name + ": " + ex.Message),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} is disabled; job {JobId} waits")]
    private static partial void LogTenantDisabled(ILogger logger, Guid tenantId, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} not found; dropping its Hangfire work")]
    private static partial void LogJobMissing(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} item {Index}: {Attempts} attempts ended without a result; failing it as attempts_exhausted")]
    private static partial void LogAttemptsExhausted(ILogger logger, Guid jobId, int index, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} item {Index} failed transiently ({Code}) on attempt {Attempt}; retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Guid jobId, int index, int attempt, string code, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} item {Index} failed after {Attempts} attempts ({Code})")]
    private static partial void LogGaveUp(ILogger logger, Guid jobId, int index, int attempts, string code, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} finished {Status} after {Seconds:F1} s")]
    private static partial void LogCompleted(ILogger logger, Guid jobId, string status, double seconds);
}
