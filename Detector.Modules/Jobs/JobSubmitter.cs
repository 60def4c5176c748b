using Detector.Modules.Inference.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.Processing;
using Microsoft.Extensions.Logging;
using Detector.Modules.Detection.Contracts;

namespace Detector.Modules.Jobs;

/// <summary>
/// Accepts a job: the rows are committed in one transaction (images were stored before), then the
/// items are enqueued on Hangfire. A crash between the two leaves committed items without Hangfire
/// jobs, which the <see cref="RecoverySweep"/> enqueues; nothing accepted is lost.
/// </summary>
internal sealed partial class JobSubmitter(JobStore store, JobDispatcher dispatcher, IImageStore images, ILogger<JobSubmitter> logger) : IJobSubmitter
{
    public static string StatusUrl(Guid id) => $"/v1/jobs/{id}";

    public async Task<JobAccepted> CreateAsync(NewJob job, IReadOnlyList<NewItem> items, CancellationToken ct)
    {
        using var activity = Common.DetectorTelemetry.Source.StartActivity("job.submit");
        activity?.SetTag("detector.job_id", job.Id);
        activity?.SetTag("detector.items", items.Count);
        await store.CreateAsync(job, items, ct);
        LogAccepted(logger, job.Id, job.TenantId, items.Count, job.Source);
        try
        {
            // The job is durable now: the client's answer must not depend on the enqueue (the sweep
            // covers a failure here), so it runs without the request's cancellation.
            await dispatcher.EnqueueAllAsync(job.TenantId, job.Id, items.Count, JobStore.QueueFor(job.Priority), CancellationToken.None);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException or Hangfire.BackgroundJobClientException)
        {
            LogEnqueueFailed(logger, job.Id, ex);
        }

        return new JobAccepted(job.Id, JobStatus.Queued, StatusUrl(job.Id), StatusUrl(job.Id) + "/results");
    }

    public async Task<JobAccepted> SubmitAsync(Guid tenantId, IReadOnlyList<JobImage> jobImages, string? model, DetectionOptions options, CancellationToken cancellationToken)
    {
        var items = new List<NewItem>(jobImages.Count);
        for (var i = 0; i < jobImages.Count; i++)
        {
            var stored = await images.PutAsync(tenantId, jobImages[i].Bytes, cancellationToken);
            items.Add(new NewItem(i, jobImages[i].FileName, null, stored.Sha256));
        }

        var job = new NewJob(Guid.CreateVersion7(), tenantId, "sync_fallback", "high", model, options.MinScore, options.Iou, options.MaxDetections, null);
        return await CreateAsync(job, items, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted job {JobId} of tenant {TenantId}: {Items} item(s) from {Source}")]
    private static partial void LogAccepted(ILogger logger, Guid jobId, Guid tenantId, int items, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} committed but not enqueued; the recovery sweep will enqueue it")]
    private static partial void LogEnqueueFailed(ILogger logger, Guid jobId, Exception exception);
}
