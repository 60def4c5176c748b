using Detector.Modules.Common;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// One claimed item: its image (stored upload or fetched URL), the detect-and-record use case,
/// and the item's outcome (succeeded, failed for good, or put back for a retry).
/// </summary>
internal sealed class ItemProcessor(ItemImages images, IDetectionRecorder recorder, ItemOutcomes outcomes, HeldItems held, IOptions<JobsOptions> options)
{
    public async Task ProcessAsync(JobRow job, ItemRow item, TenantPlan plan, CancellationToken ct)
    {
        try
        {
            await ProcessCoreAsync(job, item, plan, ct);
        }
        finally
        {
            // Finished, requeued, or dropped by an exception: its lease is no longer renewed.
            held.Release(job.Id, item.Idx);
        }

        await images.ReleaseAsync(job.TenantId, item, plan, ct);
    }

    private async Task ProcessCoreAsync(JobRow job, ItemRow item, TenantPlan plan, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("job.item");
        activity?.SetTag("detector.job_id", job.Id);
        activity?.SetTag("detector.item_index", item.Idx);
        if (item.Attempts > options.Value.MaxAttempts)
        {
            // Attempts are counted at the claim, so an attempt whose process died (killed, out of
            // memory, or crashed by this very item) counts too: a poison item fails here instead
            // of taking down every worker that claims it, forever.
            await outcomes.ExhaustedAsync(job, item, ct);
            return;
        }

        try
        {
            var (bytes, stored) = await images.LoadAsync(job.TenantId, item, plan, ct);
            var resultId = JobStore.ResultIdFor(job.Id, item.Idx);
            await recorder.RecordAsync(new RecordDetection(job.TenantId, resultId, "job", new DetectionRequest
            {
                Image = bytes,
                Model = job.Model,
                Options = DetectionOptions.From(job.MinScore, job.Iou, job.MaxDetections),
                Priority = DetectionPriority.Background,
                TenantId = job.TenantId,
            }, stored, plan.StoreImages), ct);
            await outcomes.FinishAsync(job, item.Idx, ItemState.Succeeded, resultId, null, null, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw; // shutting down: Hangfire puts the chunk back and the item is taken over
        }
        catch (Exception ex)
        {
            await outcomes.FailedAsync(job, item, ex, ct);
        }
    }
}
