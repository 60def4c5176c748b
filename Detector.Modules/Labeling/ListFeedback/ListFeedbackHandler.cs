using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Labeling.ListFeedback;

/// <summary>The feedback on one result, oldest first.</summary>
internal sealed record FeedbackList(IReadOnlyList<FeedbackView> Items);

/// <summary>The feedback on the tenant's result; a result the tenant does not have is not found.</summary>
internal sealed class ListFeedbackHandler(IResultStore results, FeedbackStore store)
{
    public async Task<FeedbackList> HandleAsync(Guid tenantId, Guid resultId, CancellationToken ct) =>
        await results.GetAsync(tenantId, resultId, ct) is null
            ? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Result not found", $"No result {resultId}.")
            : new FeedbackList(await store.ListAsync(tenantId, resultId, ct));
}
