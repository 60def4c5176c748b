using System.Text.Json;

namespace Detector.Modules.Training.GetModelVersionLineage;

/// <summary>
/// A version's lineage: the version itself, what it was derived from (a compressed variant's
/// source version), the training runs that produced it with their data as it stands now, and the
/// succeeded evaluations that validated it.
/// </summary>
internal sealed record VersionLineage(
    string Model, string Version, string Sha256, string Precision, string State, string RegisteredBy, DateTimeOffset RegisteredAt,
    DerivedFrom? DerivedFrom, IReadOnlyList<TrainedBy> TrainedBy, IReadOnlyList<ValidatedBy> ValidatedBy);

/// <summary>The registered version a compressed variant was made from (its metrics' <c>source_version</c>).</summary>
internal sealed record DerivedFrom(string Version, string? Sha256, string? Precision, bool Registered);

/// <summary>
/// A training run that produced the version; <see cref="Dataset"/> is its dataset version now
/// (null when no module serves dataset versions or the version is gone): <c>complete</c> false
/// once an erase, a delete or retention took some of its images.
/// </summary>
internal sealed record TrainedBy(
    Guid Id, string DatasetVersion, TrainingDataset? Dataset, string ExportSha256, string RecordSha256, string CodeVersion, string ImageDigest, long Seed,
    JsonElement Metrics, DateTimeOffset RecordedAt);

internal sealed record TrainingDataset(string Name, int Images, int Erased, bool Complete, string ExportSha256);

/// <summary>A succeeded evaluation: its data (dataset version and split, or a COCO folder) by content, and its headline numbers.</summary>
internal sealed record ValidatedBy(
    Guid EvaluationId, string? DatasetVersion, string? Split, string? Annotations, string? Images, string? AnnotationsSha256, int ImagesScored,
    double Map, double Ap50, double Ece, DateTimeOffset FinishedAt);
