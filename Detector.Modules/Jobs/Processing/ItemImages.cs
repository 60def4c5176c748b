using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Outbound.Contracts;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Jobs.Processing;

/// <summary>An item's image: the upload stored at submission, or the URL fetched now; and, for plans that keep no images, its removal once no open item needs it.</summary>
internal sealed class ItemImages(IImageStore images, IUrlFetcher fetcher, IImageSanitizer sanitizer, JobStore store, IEnumerable<IImageReferences> references)
{
    // Job items name an upload until their job is erased: here only open items count
    // (AwaitsImageAsync); done ones, this one included, no longer need it.
    private readonly IImageReferences _jobItems = references.OfType<JobImageReferences>().Single();

    /// <summary>The image's bytes, and its address when it is already stored (an upload).</summary>
    public async Task<(byte[] Bytes, StoredImage? Stored)> LoadAsync(Guid tenantId, ItemRow item, TenantPlan plan, CancellationToken ct)
    {
        if (item.ImageSha256?.Trim() is { } sha256)
        {
            var bytes = await images.GetAsync(tenantId, sha256, ct)
                ?? throw new DomainException(OutcomeKind.Internal, ErrorCodes.ImageMissing, "Image missing", "The stored image of this item is gone from the image store.");
            return (bytes, new StoredImage(sha256, bytes.Length));
        }

        // The plan's image size limit holds for a fetched image exactly as for an upload.
        var fetched = await fetcher.FetchImageAsync(new Uri(item.Url!), tenantId, plan.MaxImageBytes, ct);
        // A fetched photo is stripped like an upload before it is decoded or stored.
        var length = sanitizer.StripMetadata(fetched);
        return (length == fetched.Length ? fetched : fetched[..length], null);
    }

    /// <summary>
    /// A plan that keeps no images holds a job's upload only until its items are done, unless
    /// something else of the tenant names the same photo (a dataset version, a labeling item, a
    /// result from when the plan kept images): deleting it would erase their copy too.
    /// </summary>
    public async Task ReleaseAsync(Guid tenantId, ItemRow item, TenantPlan plan, CancellationToken ct)
    {
        if (!plan.StoreImages && item.ImageSha256?.Trim() is { } sha256 && !await store.AwaitsImageAsync(tenantId, sha256, ct))
        {
            await images.DeleteUnheldAsync(tenantId, [sha256], CancellationToken.None, except: _jobItems);
        }
    }
}
