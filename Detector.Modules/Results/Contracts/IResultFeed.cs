namespace Detector.Modules.Results.Contracts;

/// <summary>A stored result with its tenant (whether its image is in the store: the document's <see cref="ImageReference.Storage"/>).</summary>
public sealed record FedResult(Guid TenantId, ResultDocument Document);

/// <summary>
/// Every tenant's results in the order they were created, for work that follows new results (the
/// labeling queue's sampler) without reading Results' tables.
/// </summary>
public interface IResultFeed
{
    /// <summary>
    /// At most <paramref name="limit"/> results created after <paramref name="after"/> and at or
    /// before <paramref name="until"/>, oldest first (then by id).
    /// </summary>
    Task<IReadOnlyList<FedResult>> ReadAsync(DateTimeOffset after, DateTimeOffset until, int limit, CancellationToken cancellationToken);
}
