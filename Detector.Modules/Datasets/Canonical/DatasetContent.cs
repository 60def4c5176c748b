namespace Detector.Modules.Datasets.Canonical;

/// <summary>A class of a version's class map (the COCO category id and name).</summary>
internal sealed record DatasetClass(int Id, string Name);

/// <summary>One box on an entry's image, in the stored image's pixels, named by its class.</summary>
internal sealed record EntryBox(string Label, double X, double Y, double Width, double Height, bool IsCrowd);

/// <summary>One image of a version: the tenant's stored image, its split and what is drawn on it.</summary>
internal sealed record DatasetEntry(Guid TenantId, string Sha256, string Ext, string Split, int Width, int Height, IReadOnlyList<EntryBox> Boxes)
{
    public string FileName => $"{Sha256}.{Ext}";
}

/// <summary>The three splits; an image's is chosen by its hash (<see cref="SplitRule"/>).</summary>
internal static class Splits
{
    public const string Train = "train";
    public const string Val = "val";
    public const string Test = "test";
    public const string All = "all";

    public static readonly string[] Each = [Train, Val, Test];
}

/// <summary>How many images each split holds.</summary>
internal sealed record SplitCounts(int Train, int Val, int Test)
{
    public static SplitCounts Of(IEnumerable<string> splits)
    {
        int train = 0, val = 0, test = 0;
        foreach (var split in splits)
        {
            _ = split switch
            {
                Splits.Train => train++,
                Splits.Val => val++,
                _ => test++,
            };
        }

        return new SplitCounts(train, val, test);
    }
}

/// <summary>
/// A version as built from its entries: the canonical annotations, the canonical manifest whose
/// sha256 is the version's id, and the hash of its export, all computed from the same entries
/// (sorted by image sha256) and class map.
/// </summary>
internal sealed record VersionContent(
    IReadOnlyList<DatasetClass> Classes,
    IReadOnlyList<DatasetEntry> Entries,
    string AnnotationsSha256,
    byte[] Manifest,
    string Id,
    string ExportSha256)
{
    public SplitCounts Counts => SplitCounts.Of(Entries.Select(e => e.Split));
}
