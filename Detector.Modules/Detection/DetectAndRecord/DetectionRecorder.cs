using Detector.Modules.Detection.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Detection.DetectAndRecord;

internal sealed class DetectionRecorder(
    IObjectDetector detector,
    IImageStore images,
    IResultStore results,
    StoreBehind storeBehind,
    TimeProvider time) : IDetectionRecorder
{
    public async Task<ResultDocument> RecordAsync(RecordDetection command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);

        // The image is stored while it is detected, not after (ADR 0014), and a sync photo's put
        // that is still running when the detection is done finishes behind the answer (ADR 0016).
        var put = command.Stored is null && command.StoreImage
            ? storeBehind.Start(command.TenantId, command.Detection.Image, command.Upload, cancellationToken)
            : null;
        DetectionOutcome outcome;
        try
        {
            outcome = await detector.DetectAsync(command.Detection, cancellationToken);
        }
        catch
        {
            if (put is not null)
            {
                await storeBehind.ForgetAsync(put, command.TenantId);
            }

            throw;
        }

        var (sha256, storage) = await SettleBeforeAnswerAsync(command, put);
        var document = ResultDocument.From(command.ResultId, time.GetUtcNow(), command.Source, outcome, sha256, storage);
        if (storage != ImageStorage.Pending)
        {
            await results.SaveAsync(command.TenantId, document, cancellationToken);
            return document;
        }

        try
        {
            await results.SaveAsync(command.TenantId, document, cancellationToken);
        }
        finally
        {
            // Saved or not: a result that is not there when the put ends has its image removed.
            put!.SettleBehind(command.TenantId, command.ResultId);
        }

        return document;
    }

    /// <summary>The image's address and state as the answer states them; waits for the put only when it must.</summary>
    private async Task<(string Sha256, ImageStorage Storage)> SettleBeforeAnswerAsync(RecordDetection command, StoreBehind.Put? put)
    {
        if (command.Stored is { } stored)
        {
            return (stored.Sha256, ImageStorage.Stored);
        }

        if (put is null)
        {
            return (images.Describe(command.Detection.Image).Sha256, ImageStorage.NotKeptByPlan);
        }

        if (put.Task.IsCompleted || !put.MayFinishBehind)
        {
            // Done already (or not allowed to run behind): a failed put fails the request, as a
            // store that refuses every put (full, down) should be heard by its clients.
            DetectionMetrics.Puts.WithLabels(put.MayFinishBehind ? "before_answer" : "inline_budget").Inc();
            try
            {
                return ((await put.Task).Sha256, ImageStorage.Stored);
            }
            finally
            {
                put.Release();
            }
        }

        return (images.Describe(command.Detection.Image).Sha256, ImageStorage.Pending);
    }
}
