namespace Detector.Modules.Results.Contracts;

/// <summary>A result whose pending image was given up on: whose it is, which result, and the image it names.</summary>
public sealed record InterruptedImage(Guid TenantId, Guid ResultId, string Sha256);

/// <summary>
/// The storage state of results' images, for the sync API's write-behind (ADR 0016): a result is
/// saved <c>pending</c> when its image is still being written, and the writer settles it. Only a
/// pending result changes: one deleted or already settled stays as it is, and the caller learns so.
/// </summary>
public interface IResultImageStorage
{
    /// <summary>Settles the pending image of the tenant's result; false when the result is gone or no longer pending.</summary>
    Task<bool> SettleAsync(Guid tenantId, Guid resultId, ImageStorage storage, CancellationToken cancellationToken);

    /// <summary>
    /// Marks <c>not_stored</c> (<see cref="ImageStorage.Interrupted"/>) at most <paramref name="limit"/>
    /// results pending since before <paramref name="createdBefore"/>: their writer died. Safe on
    /// every instance at once (rows are taken with SKIP LOCKED).
    /// </summary>
    Task<IReadOnlyList<InterruptedImage>> InterruptStaleAsync(DateTimeOffset createdBefore, int limit, CancellationToken cancellationToken);
}
