using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Training;

public sealed class TrainingOptions
{
    public const string SectionName = "Training";

    /// <summary>The most training runs one list (GET /v1/admin/training-runs) or one lineage answers, newest first.</summary>
    [Range(1, 10_000)]
    public int MaxListed { get; set; } = 100;
}
