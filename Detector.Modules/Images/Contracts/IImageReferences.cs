namespace Detector.Modules.Images.Contracts;

/// <summary>
/// A module whose data names a tenant's stored images by their SHA-256 (results, job items).
/// Those modules sit above Images and implement this, so the orphan sweep can ask every one of
/// them before it removes an image without Images depending on them or reading their tables.
/// A module that stores images for later and does not implement it loses them to the sweep.
/// </summary>
public interface IImageReferences
{
    /// <summary>Which of <paramref name="sha256s"/> the tenant's data of this module still names.</summary>
    Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken);
}
