using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Images.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Datasets.ImportDatasetVersion;

/// <summary>
/// Reads a COCO folder into a version's content: every image stripped of its metadata (as any
/// image that did not come through an upload is, ADR 0010) and put into the tenant's store, whose
/// address (the sha256 of the stored bytes, not of the file) names the entry; the file's
/// categories are the class map; each image's split follows from its sha256.
/// </summary>
internal sealed class CocoImport(IImageStore images, IImageSanitizer sanitizer, SplitRule splits, IOptions<DatasetsOptions> options)
{
    public async Task<VersionContent> ReadAsync(Guid tenantId, string annotations, string imagesFolder, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("datasets.import");
        var annotationsPath = ImportPaths.Resolve(options.Value, annotations);
        var folder = ImportPaths.Resolve(options.Value, imagesFolder);
        if (!File.Exists(annotationsPath) || !Directory.Exists(folder))
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.DatasetNotFound, "Dataset not found", "The annotations file or the images folder does not exist under Datasets:ImportRoot.");
        }

        var coco = await CocoFile.ReadAsync(annotationsPath, ct);
        if (coco.Images.Count > options.Value.MaxImages)
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.TooManyImages, "Too many images", $"The dataset has {coco.Images.Count} images; a version holds at most {options.Value.MaxImages} (Datasets:MaxImages).");
        }

        var entries = new Dictionary<string, DatasetEntry>(StringComparer.Ordinal);
        foreach (var image in coco.Images)
        {
            var file = ImportPaths.Resolve(options.Value, Path.Combine(imagesFolder, image.FileName));
            if (!File.Exists(file))
            {
                throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.DatasetInvalid, "Image missing", $"The annotations name '{image.FileName}', which the images folder does not have.");
            }

            var bytes = await File.ReadAllBytesAsync(file, ct);
            var length = sanitizer.StripMetadata(bytes);
            var stored = await images.PutAsync(tenantId, bytes.AsMemory(0, length), ct);
            entries[stored.Sha256] = new DatasetEntry(tenantId, stored.Sha256, ImageExtension.Of(bytes), splits.Of(stored.Sha256), image.Width, image.Height, image.Boxes);
        }

        activity?.SetTag("detector.dataset_images", entries.Count);
        return VersionBuilder.Build(coco.Classes, entries.Values);
    }
}
