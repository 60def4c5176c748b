using Detector.Modules.Datasets.Storage;

namespace Detector.Modules.Datasets.GetDatasetVersion;

/// <summary>A class of a version's class map, as the API shows it.</summary>
internal sealed record ClassView(int Id, string Name);

/// <summary>Images per split.</summary>
internal sealed record SplitsView(int Train, int Val, int Test);

/// <summary>
/// A dataset version as the API shows it: complete until an entry is erased (then erased counts
/// them and erased_reasons says why); its id and hashes never change.
/// </summary>
internal sealed record VersionView(
    string Id, string Dataset, string? Parent, string Schema, bool Complete, int Images, int Erased, IReadOnlyList<string> ErasedReasons,
    SplitsView Splits, IReadOnlyList<ClassView> Classes, string AnnotationsSha256, string ExportSha256, string Source, string CreatedBy, DateTimeOffset CreatedAt)
{
    public static VersionView Of(VersionRow row) => new(
        row.Id, row.Dataset, row.Parent, row.Schema, row.Erased == 0, row.Images, row.Erased,
        row.ErasedReasons is { } reasons ? reasons.Split(',') : [],
        new SplitsView(row.Train, row.Val, row.Test),
        [.. EntryJson.ReadClasses(row.Classes).Select(c => new ClassView(c.Id, c.Name))],
        row.AnnotationsSha256, row.ExportSha256, row.Source, row.CreatedBy, new DateTimeOffset(DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc)));
}
