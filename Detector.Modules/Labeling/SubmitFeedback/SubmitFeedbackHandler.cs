using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Labeling.SubmitFeedback;

/// <summary>
/// Stores feedback on the tenant's own result, with the model and version that served it. It is
/// queued (may feed the labeling queue) only when the tenant's plan stores images and the
/// result's image is stored; otherwise it is kept as a signal (metrics, the listing) only.
/// </summary>
internal sealed class SubmitFeedbackHandler(IResultStore results, ITenantDirectory tenants, IModelCatalog catalog, FeedbackStore store, TimeProvider time)
{
    public async Task<FeedbackView> HandleAsync(Guid tenantId, Guid resultId, SubmitFeedbackRequest request, CancellationToken ct)
    {
        var result = await results.GetAsync(tenantId, resultId, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Result not found", $"No result {resultId}.");
        if (request.DetectionIndex is { } index && index >= result.Detections.Count)
        {
            throw new DomainException(OutcomeKind.InvalidInput, LabelingErrors.DetectionNotFound, "No such detection", $"The result has {result.Detections.Count} detections; detection_index {index} names none.");
        }

        if (request.Label is { } label)
        {
            ModelLabels.Require(catalog, result.Model.Name, result.Model.Version, label);
        }

        if (request.Box is { } box && (box.X + box.Width > result.Image.Width || box.Y + box.Height > result.Image.Height))
        {
            throw new DomainException(OutcomeKind.InvalidInput, LabelingErrors.BoxOutOfBounds, "Box outside the image", $"The image is {result.Image.Width}x{result.Image.Height}.");
        }

        var stored = result.Image.Storage == ImageStorage.StoredState;
        var queued = stored && await tenants.FindAsync(tenantId, ct) is { Plan.StoreImages: true };
        var feedback = new FeedbackView(
            Guid.NewGuid(), resultId, request.Kind!, request.DetectionIndex, request.Box, request.Label, request.Note,
            result.Model.Name, result.Model.Version, stored ? result.Image.Sha256 : null, queued, time.GetUtcNow());
        await store.AddAsync(tenantId, feedback, ct);
        LabelingMetrics.Feedback.WithLabels(feedback.Model, feedback.ModelVersion, feedback.Kind).Inc();
        if (feedback.Kind != SubmitFeedbackValidator.ResultWrong)
        {
            LabelingMetrics.Corrections.WithLabels(feedback.Model, feedback.ModelVersion).Inc();
        }

        return feedback;
    }
}
