using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Datasets.Storage;
using Detector.Modules.Images.Contracts;

namespace Detector.Modules.Datasets.ExportVersion;

/// <summary>What an export wrote: the content it was built from and every file with its sha256, by relative path (ordinal order).</summary>
internal sealed record ExportResult(VersionRow Version, VersionContent Content, IReadOnlyList<(string Path, string Sha256)> Files)
{
    /// <summary>The hash over the files (<see cref="CanonicalJson.ExportSha256"/>): the version's ExportSha256 when it is complete.</summary>
    public string ExportSha256 => CanonicalJson.ExportSha256(Files);
}

/// <summary>
/// Writes a version's export into a folder: its images with the bytes the tenants' stores hold
/// (checked against their sha256), the canonical annotations of all and each split, and the
/// manifest. A complete version's content is rebuilt from its entries and must name the version's
/// id; an incomplete one's export is of the entries still whole (a different manifest).
/// </summary>
internal sealed class VersionExporter(DatasetStore store, IImageStore images)
{
    public async Task<ExportResult> WriteAsync(VersionRow version, string folder, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("datasets.export");
        activity?.SetTag("detector.dataset_version", version.Id);
        var entries = (await store.EntriesAsync(version.Id, ct)).Select(e => e.ToEntry()).OfType<DatasetEntry>().ToList();
        var content = VersionBuilder.Build(EntryJson.ReadClasses(version.Classes), entries);
        if (version.Erased == 0 && content.Id != version.Id)
        {
            throw new InvalidOperationException($"Dataset version {version.Id} rebuilt from its entries names {content.Id}: its rows were changed.");
        }

        Directory.CreateDirectory(Path.Combine(folder, ExportLayout.ImagesFolder));
        Directory.CreateDirectory(Path.Combine(folder, ExportLayout.AnnotationsFolder));
        foreach (var entry in content.Entries)
        {
            var bytes = await images.GetAsync(entry.TenantId, entry.Sha256, ct);
            if (bytes is null || CanonicalJson.Sha256(bytes) != entry.Sha256)
            {
                throw new DomainException(OutcomeKind.Conflict, ErrorCodes.ImageMissing, "Dataset image missing",
                    $"An image of dataset version {version.Id} is not in its tenant's store as stored ({entry.Sha256}).");
            }

            await File.WriteAllBytesAsync(Path.Combine(folder, ExportLayout.ImageFile(entry)), bytes, ct);
        }

        foreach (var (path, bytes) in ExportLayout.Documents(content.Classes, content.Entries, content.Manifest))
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, path), bytes, ct);
        }

        var files = ExportLayout.Files(content.Classes, content.Entries, content.Manifest).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        return new ExportResult(version, content, files);
    }
}
