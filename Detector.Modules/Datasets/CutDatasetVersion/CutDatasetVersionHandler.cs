using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Datasets.ExportVersion;
using Detector.Modules.Datasets.GetDatasetVersion;
using Detector.Modules.Datasets.Storage;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Labeling.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Datasets.CutDatasetVersion;

/// <summary>
/// Cuts a version from the labeling queue's final labels (Labeling's <see cref="IReviewedLabels"/>),
/// optionally merged with an earlier version (its class map first, its images keep their splits,
/// an image labelled again takes its new labels). An item whose image its tenant no longer has is
/// left out: its labels name nothing a trainer could read.
/// </summary>
internal sealed class CutDatasetVersionHandler(IReviewedLabels labels, IImageStore images, DatasetStore store, VersionWriter writer, VersionBuilder builder, IOptions<DatasetsOptions> options)
{
    public async Task<(VersionView View, bool Created)> HandleAsync(string name, CutDatasetVersionRequest request, string actor, CancellationToken ct)
    {
        var dataset = DatasetNames.Validate(name);
        var previous = request.MergeWith is { } mergeWith ? await PreviousAsync(mergeWith, ct) : null;
        var max = options.Value.MaxImages;
        var reviewed = await labels.ListAsync(request.After, max + 1, ct);
        if (reviewed.Count > max)
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.TooManyImages, "Too many images", $"More than {max} final items (Datasets:MaxImages): cut with a later 'after'.");
        }

        var tenants = request.TenantIds?.ToHashSet();
        var kept = new List<ReviewedImage>();
        var extensions = new Dictionary<(Guid, string), string>();
        foreach (var item in reviewed.Where(r => tenants is null || tenants.Contains(r.TenantId)))
        {
            if (await images.GetAsync(item.TenantId, item.ImageSha256, ct) is { } bytes)
            {
                extensions[(item.TenantId, item.ImageSha256)] = ImageExtension.Of(bytes);
                kept.Add(item);
            }
        }

        if (kept.Count == 0 && (previous is null || previous.Entries.Count == 0))
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.DatasetInvalid, "Nothing to cut", "No final labeled image matches the cut, and no earlier version's entries are merged.");
        }

        var content = builder.Cut(kept, r => extensions[(r.TenantId, r.ImageSha256)], previous);
        var (row, created) = await writer.SaveAsync(dataset, content, previous?.Id, "cut", actor, ct);
        return (VersionView.Of(row), created);
    }

    private async Task<PreviousVersion> PreviousAsync(string id, CancellationToken ct)
    {
        var row = await store.FindAsync(id, ct) ?? throw VersionIds.NotFound(id);
        var entries = (await store.EntriesAsync(id, ct)).Select(e => e.ToEntry()).OfType<DatasetEntry>().ToList();
        return new PreviousVersion(row.Id, EntryJson.ReadClasses(row.Classes), entries);
    }
}
