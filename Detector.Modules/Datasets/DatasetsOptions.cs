using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Datasets;

/// <summary>Where dataset versions are imported from and written to, and how images are split (section <c>Datasets</c>).</summary>
public sealed class DatasetsOptions : IValidatableObject
{
    public const string SectionName = "Datasets";

    /// <summary>
    /// The folder COCO datasets may be imported from; an import names its annotations file and
    /// image folder relative to it, and nothing outside it is read. Relative paths resolve
    /// against the working directory.
    /// </summary>
    [Required]
    public string ImportRoot { get; set; } = "../shared/datasets";

    /// <summary>Where versions are materialized (<c>&lt;id&gt;/images</c>, <c>&lt;id&gt;/annotations</c>, <c>manifest.json</c>) for evaluations and training.</summary>
    [Required]
    public string WorkDirectory { get; set; } = ".data/datasets";

    /// <summary>Percentages of images in train, val and test, chosen by each image's hash (they sum to 100).</summary>
    [Required]
    public DatasetSplits Splits { get; set; } = new();

    /// <summary>The most images one version may hold (an import or a cut past it is refused).</summary>
    [Range(1, 10_000_000)]
    public int MaxImages { get; set; } = 200_000;

    /// <summary>Rows written per statement when a version's entries are stored.</summary>
    [Range(1, 10_000)]
    public int InsertBatchSize { get; set; } = 500;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Splits.Train < 0 || Splits.Val < 0 || Splits.Test < 0 || Splits.Train + Splits.Val + Splits.Test != 100)
        {
            yield return new ValidationResult("Datasets:Splits Train, Val and Test are percentages that sum to 100.", [nameof(Splits)]);
        }
    }
}

/// <summary>Percentages per split; an image's split is a function of its sha256 and these, so it never changes between cuts.</summary>
public sealed class DatasetSplits
{
    [Range(0, 100)]
    public int Train { get; set; } = 80;

    [Range(0, 100)]
    public int Val { get; set; } = 10;

    [Range(0, 100)]
    public int Test { get; set; } = 10;
}
