using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Storage;

namespace Detector.Modules.Images.DeleteImage;

/// <summary>
/// Deletes exactly the tenant's stored image (results detected on it stay, with its hash; a job
/// item not yet run on it then fails image_missing). False when the tenant stored none at that
/// address, a malformed one included.
/// </summary>
internal sealed class DeleteImageHandler(IImageStore images)
{
    public async Task<bool> HandleAsync(Guid tenantId, string sha256, CancellationToken ct) =>
        ContentAddress.IsValid(sha256) && await images.DeleteAsync(tenantId, sha256, ct);
}
