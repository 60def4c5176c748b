namespace Detector.Modules.Images.Contracts;

/// <summary>A stored image: its content address (lower-case hex SHA-256 of its bytes) and size.</summary>
public sealed record StoredImage(string Sha256, long Length)
{
    /// <summary>True when the put that returned this created the blob (the tenant did not have these bytes yet).</summary>
    public bool Created { get; init; }
}

/// <summary>What deleting images unless held did: how many were deleted, and how many stayed because something names them.</summary>
public sealed record UnheldDeletion(int Deleted, int Kept);

/// <summary>What erasing a tenant's images removed: its blobs, and its data key (0 or 1).</summary>
public sealed record TenantImagesErasure(long Blobs, int DataKeys);

/// <summary>
/// Where uploaded images live, per tenant and encrypted at rest under the tenant's data key. The
/// store computes the address itself, so callers never hash images for storage. A tenant storing
/// the same bytes twice keeps one copy; two tenants storing the same bytes keep two, and neither
/// can tell whether the other has them.
/// </summary>
public interface IImageStore
{
    /// <summary>
    /// Stores the tenant's image (unless it already has it) and returns its address, with whether
    /// this put created it. An image nothing names (<see cref="IImageReferences"/>) is removed after
    /// the grace period, so the caller saves what names it soon after. Throws 403 tenant_disabled
    /// for an erased tenant.
    /// </summary>
    Task<StoredImage> PutAsync(Guid tenantId, ReadOnlyMemory<byte> image, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="PutAsync(Guid, ReadOnlyMemory{byte}, CancellationToken)"/>, for bytes this
    /// store already described (<see cref="Describe"/>), so a large photo is hashed once, not twice.
    /// </summary>
    Task<StoredImage> PutAsync(Guid tenantId, ReadOnlyMemory<byte> image, StoredImage described, CancellationToken cancellationToken);

    /// <summary>The address the store gives these bytes, storing nothing (for plans that keep no images).</summary>
    StoredImage Describe(ReadOnlyMemory<byte> image);

    /// <summary>The tenant's image stored under <paramref name="sha256"/>, or null when it has none (or its key was destroyed).</summary>
    Task<byte[]?> GetAsync(Guid tenantId, string sha256, CancellationToken cancellationToken);

    /// <summary>Deletes the tenant's image <paramref name="sha256"/>; false when it had none.</summary>
    Task<bool> DeleteAsync(Guid tenantId, string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes those of the tenant's images <paramref name="sha256s"/> that no
    /// <see cref="IImageReferences"/> (results, job items, dataset versions, labeling items) names:
    /// the one "nothing holds it" cleanup, for what a refused or interrupted put left, so no caller
    /// keeps a holder list of its own that misses a module. <paramref name="except"/> is a holder
    /// not to ask: the caller's own, when it has already decided for the names it keeps.
    /// </summary>
    Task<UnheldDeletion> DeleteUnheldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken, IImageReferences? except = null);

    /// <summary>Every tenant with a data key or a stored image here.</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Erases the tenant's data key (from then on no put of the tenant stores anything, on any
    /// instance) and every image of it: nothing in the store or the <c>images</c> schema names the
    /// tenant afterwards, bar a tombstone keyed by a digest of its id (a tenant erase; ADR 0012).
    /// </summary>
    Task<TenantImagesErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);
}
