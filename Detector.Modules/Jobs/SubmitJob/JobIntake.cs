using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Storage;

namespace Detector.Modules.Jobs.SubmitJob;

/// <summary>A submission's images as job items: uploads stored as they arrive, URLs checked; and what a refused submission stored, removed again.</summary>
internal sealed class JobIntake(IUploadReader uploads, IImageStore images, UnusedImages unused)
{
    /// <summary>
    /// Streams each image part into the image store as it arrives (so memory holds one image at a
    /// time); the reader enforces the per-image, per-job count and total byte limits. Every image
    /// stored is added to <paramref name="stored"/> at once, so a failure later can remove it.
    /// </summary>
    public async Task<List<NewItem>> StoreUploadsAsync(HttpRequest request, Guid tenantId, JobLimits limits, List<string> stored, CancellationToken ct)
    {
        var items = new List<NewItem>();
        await foreach (var upload in uploads.ReadImagesAsync(request, new UploadLimits(limits.MaxImageBytes, limits.MaxImagesPerJob, limits.MaxTotalBytes), ct))
        {
            using (upload)
            {
                var image = await images.PutAsync(tenantId, upload.Bytes, ct);
                stored.Add(image.Sha256);
                items.Add(new NewItem(items.Count, upload.FileName, null, image.Sha256));
            }
        }

        return items;
    }

    public static List<NewItem> UrlItems(IList<string>? urls, JobLimits limits)
    {
        if (urls is null || urls.Count == 0)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Validation failed", "urls must list at least one image URL.");
        }

        if (urls.Count > limits.MaxImagesPerJob)
        {
            throw new DomainException(OutcomeKind.TooLarge, ErrorCodes.TooManyImages, "Too many images", $"A job may carry at most {limits.MaxImagesPerJob} images.");
        }

        var items = new List<NewItem>(urls.Count);
        for (var i = 0; i < urls.Count; i++)
        {
            if (!SubmitJobValidator.BeFetchable(urls[i]))
            {
                throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Validation failed", $"urls[{i}] must be an absolute http or https URL of at most 2048 characters, without credentials or control characters.");
            }

            items.Add(new NewItem(i, null, urls[i], null));
        }

        return items;
    }

    /// <summary>What a refused submission stored goes again (unless anything of the tenant names it).</summary>
    public Task DiscardAsync(Guid tenantId, IReadOnlyCollection<string> stored) => unused.DiscardRefusedAsync(tenantId, stored);
}
