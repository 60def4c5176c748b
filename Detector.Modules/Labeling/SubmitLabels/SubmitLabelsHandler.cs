using Detector.Modules.Common;
using Detector.Modules.Labeling.Consensus;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Labeling.SubmitLabels;

/// <summary>
/// A labeler's boxes for an item it is assigned; the second set settles the item by the consensus
/// rule (<see cref="BoxConsensus"/>): agreed becomes final, anything else disputed.
/// </summary>
internal sealed class SubmitLabelsHandler(ItemQueue queue, LabelSetStore sets, IModelCatalog catalog, TimeProvider time)
{
    public async Task<ItemState> HandleAsync(Guid labelerId, Guid itemId, IReadOnlyList<LabelBox> boxes, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var item = await queue.FindVisibleAsync(labelerId, itemId, asReviewer: false, now, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Item not found", $"No item {itemId} assigned to this labeler.");
        LabelRules.Check(catalog, item, boxes);
        return await sets.AddLabelsAsync(item, labelerId, boxes, now, ct);
    }
}

/// <summary>What every label set of an item must hold to: the model's classes, boxes inside the image.</summary>
internal static class LabelRules
{
    public static void Check(IModelCatalog catalog, ItemRef item, IReadOnlyList<LabelBox> boxes)
    {
        foreach (var box in boxes)
        {
            ModelLabels.Require(catalog, item.Model, item.Version, box.Label);
            if (box.X + box.Width > item.Width || box.Y + box.Height > item.Height)
            {
                throw new DomainException(OutcomeKind.InvalidInput, LabelingErrors.BoxOutOfBounds, "Box outside the image", $"The image is {item.Width}x{item.Height}.");
            }
        }
    }
}
