using Detector.Modules.Detection.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Detection.DetectAndRecord;

internal sealed class DetectionRecorder(
    CachedDetection detection,
    IImageStore images,
    IResultStore results,
    StoreBehind store,
    IModelCatalog catalog,
    IRequestCost cost,
    TimeProvider time) : IDetectionRecorder
{
    public async Task<ResultDocument> RecordAsync(RecordDetection command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (tenantId, image) = (command.TenantId, command.Detection.Image);
        var toStore = command.Stored is null && command.StoreImage;

        // Hashed once, first: the result cache's key, the answer's image, and the put's address.
        var described = command.Stored ?? images.Describe(image);

        // A sync photo is stored after the answer when it may be (ADR 0016); otherwise its put runs
        // beside the detection and the answer waits for both (ADR 0014).
        using var behind = toStore ? store.TryReserve(command.Upload) : null;
        var put = toStore && behind is null ? store.StartBeforeAnswer(tenantId, image, described, cancellationToken) : null;
        Inference.Contracts.DetectionOutcome outcome;
        try
        {
            outcome = await detection.DetectAsync(tenantId, described.Sha256, command.Detection, cancellationToken);
        }
        catch
        {
            if (put is not null)
            {
                await store.ForgetAsync(put, tenantId);
            }

            throw;
        }

        if (put is not null)
        {
            described = await put;
        }

        // A job's upload on a plan that keeps no images is dropped once its item is done: its result
        // says so from the start, and so does not hold the photo (ItemImages.ReleaseAsync).
        var storage = command.Stored is not null ? (command.StoreImage ? ImageStorage.Stored : ImageStorage.NotKeptByPlan)
            : put is not null ? ImageStorage.Stored
            : behind is null ? ImageStorage.NotKeptByPlan : ImageStorage.Pending;
        var document = ResultDocument.From(command.ResultId, time.GetUtcNow(), command.Source, outcome, described.Sha256, storage);
        if (command.Calibrated && catalog.Find($"{document.Model.Name}@{document.Model.Version}")?.Calibration is { } calibration)
        {
            document = document with { Detections = [.. document.Detections.Select(d => d with { CalibratedScore = MathF.Round(calibration.Apply(d.ClassId, d.Score), 4) })] };
        }

        await results.SaveAsync(tenantId, document, command.CreatedByKey, cancellationToken);
        cost.Record(tenantId, outcome.ModelName, outcome.ModelVersion, outcome.Timings.CoreMs / 1000);
        detection.Keep(tenantId, described.Sha256, outcome);
        if (behind is not null)
        {
            // Saved: from here the put owns the reservation (the using above then does nothing).
            store.StoreAfterAnswer(behind.Transfer(), tenantId, command.ResultId, image, described);
        }

        return document;
    }
}
