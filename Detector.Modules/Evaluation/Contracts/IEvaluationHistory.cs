namespace Detector.Modules.Evaluation.Contracts;

/// <summary>
/// One succeeded evaluation of a model version: the data it scored (a dataset version and split,
/// or a COCO folder's annotations and images) with the annotations file's sha256, and its
/// headline numbers (COCO mAP@[.5:.95] and AP50, the expected calibration error).
/// </summary>
public sealed record FinishedEvaluation(
    Guid Id,
    string? DatasetVersion,
    string? Split,
    string? Annotations,
    string? Images,
    string? AnnotationsSha256,
    int ImagesScored,
    double Map,
    double Ap50,
    double Ece,
    DateTimeOffset FinishedAt);

/// <summary>The evaluations a model version passed, for the modules that answer where its numbers come from (lineage).</summary>
public interface IEvaluationHistory
{
    /// <summary>The version's succeeded evaluations, newest first.</summary>
    Task<IReadOnlyList<FinishedEvaluation>> FinishedAsync(string model, string version, CancellationToken ct);
}
