using Detector.Modules.Detection.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>
/// Removes an image of the tenant that nothing of the tenant holds: no result whose image is
/// stored or pending, no waiting job item. Used for the image of a failed detection and for one
/// written behind a result that is gone or was given up on; the same bytes sent elsewhere at the
/// same moment keep it.
/// </summary>
internal sealed class UnheldImages(IImageStore images, IResultStore results, IEnumerable<IImageHolder> holders)
{
    /// <summary>Deletes the image unless it is held; true when it was deleted.</summary>
    public async Task<bool> RemoveAsync(Guid tenantId, string sha256, CancellationToken cancellationToken)
    {
        if (await results.ReferencesImageAsync(tenantId, sha256, cancellationToken))
        {
            return false;
        }

        foreach (var holder in holders)
        {
            if (await holder.HoldsAsync(tenantId, sha256, cancellationToken))
            {
                return false;
            }
        }

        return await images.DeleteAsync(tenantId, sha256, cancellationToken);
    }
}
