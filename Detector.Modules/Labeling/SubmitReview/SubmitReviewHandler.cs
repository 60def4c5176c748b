using Detector.Modules.Common;
using Detector.Modules.Labeling.Consensus;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Labeling.SubmitLabels;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Labeling.SubmitReview;

/// <summary>A reviewer decides a disputed item of a tenant that granted it: its boxes are final, and each labeler's set is marked as agreeing with them or not.</summary>
internal sealed class SubmitReviewHandler(ItemQueue queue, LabelSetStore sets, IModelCatalog catalog, TimeProvider time)
{
    public async Task<ItemState> HandleAsync(Guid reviewerId, Guid itemId, IReadOnlyList<LabelBox> boxes, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var item = await queue.FindVisibleAsync(reviewerId, itemId, asReviewer: true, now, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Item not found", $"No item {itemId} for this reviewer.");
        LabelRules.Check(catalog, item, boxes);
        return await sets.AddReviewAsync(item, reviewerId, boxes, now, ct);
    }
}
