namespace Detector.Modules.Datasets.Contracts;

/// <summary>
/// An immutable dataset version: <see cref="Id"/> is the sha256 of its canonical manifest (image
/// sha256s with their splits, the annotations' sha256 and the class map), <see cref="ExportSha256"/>
/// the hash of its COCO export (the files a trainer or an evaluation reads), the same on every
/// rebuild. <see cref="Erased"/> entries lost their image to an erase, a delete or retention: the
/// version keeps its id but is no longer complete.
/// </summary>
public sealed record DatasetVersionInfo(string Id, string Dataset, int Images, int Erased, string AnnotationsSha256, string ExportSha256, DateTimeOffset CreatedAt)
{
    public bool Complete => Erased == 0;
}

/// <summary>A version written out in COCO form: the annotations file and the folder of its images, named by sha256.</summary>
public sealed record MaterializedDataset(string VersionId, string AnnotationsPath, string ImagesDirectory);

/// <summary>Dataset versions for the modules that use them (evaluation jobs, training records).</summary>
public interface IDatasetVersions
{
    /// <summary>The version with this id (its full 64-hex manifest sha256), or null.</summary>
    Task<DatasetVersionInfo?> FindAsync(string versionId, CancellationToken cancellationToken);

    /// <summary>
    /// The version's COCO export (all splits when <paramref name="split"/> is null, else train, val
    /// or test), written once under the module's work directory and reused; an incomplete version's
    /// export leaves its erased entries out.
    /// </summary>
    Task<MaterializedDataset> MaterializeAsync(string versionId, string? split, CancellationToken cancellationToken);
}
