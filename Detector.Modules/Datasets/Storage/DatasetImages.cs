using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Images.Contracts;

namespace Detector.Modules.Datasets.Storage;

/// <summary>
/// What Images and Compliance ask of dataset versions: which images they hold (the orphan sweep
/// leaves those), letting go of a deleted image, and a tenant's erase.
/// </summary>
internal sealed class DatasetImages(EntryErasure erasure) : IImageReferences, IImageDeletionListener, ITenantDatasetData
{
    public Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken) =>
        erasure.HeldAsync(tenantId, sha256s, cancellationToken);

    public Task ImageDeletingAsync(Guid tenantId, string sha256, CancellationToken cancellationToken) =>
        erasure.EraseImageAsync(tenantId, sha256, cancellationToken);

    public Task<long> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken) =>
        erasure.EraseTenantAsync(tenantId, cancellationToken);

    public Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken) =>
        erasure.TenantIdsAsync(cancellationToken);
}
