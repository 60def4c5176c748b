namespace Detector.Modules.Datasets.Canonical;

/// <summary>
/// The files of a version's export, by path relative to its folder: <c>images/&lt;sha256&gt;.&lt;ext&gt;</c>
/// (the stored bytes, so their hash is their name), <c>annotations/instances_{all|train|val|test}.json</c>
/// and <c>manifest.json</c>. The export's hash is computed from this list, at the cut without
/// reading an image and again from the files on disk, and the two agree.
/// </summary>
internal static class ExportLayout
{
    public const string ManifestFile = "manifest.json";
    public const string ImagesFolder = "images";
    public const string AnnotationsFolder = "annotations";

    public static string AnnotationsFile(string split) => $"{AnnotationsFolder}/instances_{split}.json";

    public static string ImageFile(DatasetEntry entry) => $"{ImagesFolder}/{entry.FileName}";

    /// <summary>Every file but the images, with its bytes.</summary>
    public static List<(string Path, byte[] Bytes)> Documents(IReadOnlyList<DatasetClass> classes, IReadOnlyList<DatasetEntry> entries, byte[] manifest)
    {
        var documents = new List<(string, byte[])> { (AnnotationsFile(Splits.All), CanonicalJson.Annotations(classes, entries)) };
        foreach (var split in Splits.Each)
        {
            documents.Add((AnnotationsFile(split), CanonicalJson.Annotations(classes, [.. entries.Where(e => e.Split == split)])));
        }

        documents.Add((ManifestFile, manifest));
        return documents;
    }

    /// <summary>Every file with its sha256.</summary>
    public static IEnumerable<(string Path, string Sha256)> Files(IReadOnlyList<DatasetClass> classes, IReadOnlyList<DatasetEntry> entries, byte[] manifest) =>
        Documents(classes, entries, manifest).Select(d => (d.Path, CanonicalJson.Sha256(d.Bytes)))
            .Concat(entries.Select(e => (ImageFile(e), e.Sha256)));
}
