using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Evaluation;

public sealed class EvaluationOptions
{
    public const string SectionName = "Evaluation";

    /// <summary>
    /// The folder evaluation jobs may read datasets from; a job names its annotations file and image
    /// folder relative to it, and nothing outside it is read. Relative paths resolve against the
    /// working directory.
    /// </summary>
    [Required]
    public string DatasetRoot { get; set; } = "../shared/datasets";

    /// <summary>Images of one evaluation in flight at once (background priority: callers' requests go first).</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 4;

    /// <summary>The most images one evaluation may score.</summary>
    [Range(1, 1_000_000)]
    public int MaxImages { get; set; } = 20_000;
}
