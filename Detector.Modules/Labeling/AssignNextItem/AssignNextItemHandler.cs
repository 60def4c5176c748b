using Detector.Modules.Labeling.Storage;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.AssignNextItem;

/// <summary>Assigns the labeler its next item for <c>Labeling:AssignmentMinutes</c>.</summary>
internal sealed class AssignNextItemHandler(ItemQueue queue, IOptions<LabelingOptions> options, TimeProvider time)
{
    public Task<ItemCard?> HandleAsync(Guid labelerId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return queue.AssignNextAsync(labelerId, now, now.AddMinutes(options.Value.AssignmentMinutes), ct);
    }
}
