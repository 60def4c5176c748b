using Detector.Modules.Labeling.Contracts;

namespace Detector.Modules.Datasets.Canonical;

/// <summary>The version a cut is merged with: its class map and its entries still whole.</summary>
internal sealed record PreviousVersion(string Id, IReadOnlyList<DatasetClass> Classes, IReadOnlyList<DatasetEntry> Entries);

/// <summary>
/// Builds versions from their content, with no I/O: the same entries and class map always give
/// the same manifest, id and export hash. One entry per image sha256: an image labelled again
/// (reviewed later, or by a merged cut) takes its latest labels; an image keeps the split it had
/// in the merged version.
/// </summary>
internal sealed class VersionBuilder(SplitRule splits)
{
    public static VersionContent Build(IReadOnlyList<DatasetClass> classes, IEnumerable<DatasetEntry> entries)
    {
        var sorted = entries.OrderBy(e => e.Sha256, StringComparer.Ordinal).ToList();
        var annotationsSha256 = CanonicalJson.Sha256(CanonicalJson.Annotations(classes, sorted));
        var manifest = CanonicalJson.Manifest(classes, annotationsSha256, sorted);
        var exportSha256 = CanonicalJson.ExportSha256(ExportLayout.Files(classes, sorted, manifest));
        return new VersionContent(classes, sorted, annotationsSha256, manifest, CanonicalJson.Sha256(manifest), exportSha256);
    }

    /// <summary>
    /// A version of <paramref name="reviewed"/> (in the order they became final), merged with
    /// <paramref name="previous"/> when given: its class map first, then new class names appended
    /// in ordinal order; without one, every name in ordinal order with ids 1..n.
    /// </summary>
    public VersionContent Cut(IReadOnlyList<ReviewedImage> reviewed, Func<ReviewedImage, string> extensionOf, PreviousVersion? previous)
    {
        var entries = new Dictionary<string, DatasetEntry>(StringComparer.Ordinal);
        foreach (var entry in previous?.Entries ?? [])
        {
            entries[entry.Sha256] = entry;
        }

        foreach (var image in reviewed)
        {
            var sha256 = image.ImageSha256.ToLowerInvariant();
            var split = entries.TryGetValue(sha256, out var earlier) ? earlier.Split : splits.Of(sha256);
            var boxes = image.Boxes.Select(b => new EntryBox(b.Label, CanonicalJson.Round(b.X), CanonicalJson.Round(b.Y), CanonicalJson.Round(b.Width), CanonicalJson.Round(b.Height), false)).ToList();
            entries[sha256] = new DatasetEntry(image.TenantId, sha256, extensionOf(image), split, image.Width, image.Height, boxes);
        }

        return Build(ClassMap(previous?.Classes ?? [], entries.Values.SelectMany(e => e.Boxes).Select(b => b.Label)), entries.Values);
    }

    /// <summary>The previous map, then the names it lacks in ordinal order, numbered on from its largest id.</summary>
    public static IReadOnlyList<DatasetClass> ClassMap(IReadOnlyList<DatasetClass> previous, IEnumerable<string> names)
    {
        var known = previous.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var next = previous.Count == 0 ? 1 : previous.Max(c => c.Id) + 1;
        var added = names.Where(n => !known.Contains(n)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(n => new DatasetClass(next++, n));
        return [.. previous.OrderBy(c => c.Id), .. added];
    }
}
