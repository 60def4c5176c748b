namespace Detector.Modules.Images.Contracts;

/// <summary>
/// A module that keeps a tenant's image by its SHA-256 beyond what <see cref="IImageReferences"/>
/// protects from the orphan sweep (dataset versions) and must let go of it when the tenant's image
/// is deleted on purpose: by the tenant (<c>DELETE /v1/images/{sha256}</c>), by retention, or with
/// an erased job. Called by <see cref="IImageStore.DeleteAsync"/> before the bytes go, so a failed
/// listener leaves the image in place and the delete can be retried; an erase of the whole tenant
/// is the tenant erase's own step, not this.
/// </summary>
public interface IImageDeletionListener
{
    Task ImageDeletingAsync(Guid tenantId, string sha256, CancellationToken cancellationToken);
}
