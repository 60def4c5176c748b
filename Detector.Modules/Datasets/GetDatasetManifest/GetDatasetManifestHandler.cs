using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Datasets.ExportVersion;
using Detector.Modules.Datasets.Storage;

namespace Detector.Modules.Datasets.GetDatasetManifest;

/// <summary>
/// Rebuilds a version's canonical manifest from its entries (it is not stored, so an erased
/// entry leaves no sha256 of the tenant's image behind). An incomplete version's manifest can no
/// longer be rebuilt: 409 dataset_version_incomplete says how many entries were erased and why.
/// </summary>
internal sealed class GetDatasetManifestHandler(DatasetStore store)
{
    public async Task<byte[]> HandleAsync(string id, CancellationToken ct)
    {
        var row = (VersionIds.IsValid(id) ? await store.FindAsync(id, ct) : null) ?? throw VersionIds.NotFound(id);
        if (row.Erased > 0)
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.DatasetVersionIncomplete, "Dataset version incomplete",
                $"{row.Erased} of {row.Images} entries of version {row.Id} were erased ({row.ErasedReasons}): the version keeps its id, but its manifest can no longer be rebuilt.");
        }

        var entries = (await store.EntriesAsync(row.Id, ct)).Select(e => e.ToEntry()).OfType<DatasetEntry>().ToList();
        var content = VersionBuilder.Build(EntryJson.ReadClasses(row.Classes), entries);
        return content.Id == row.Id
            ? content.Manifest
            : throw new InvalidOperationException($"Dataset version {row.Id} rebuilt from its entries names {content.Id}: its rows were changed.");
    }
}
