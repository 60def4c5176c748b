using Detector.Modules.Evaluation.Contracts;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>One class: its AP, AP at IoU 0.5, its ground-truth count, and its precision at the 101 COCO recall points (IoU 0.5, all areas, 100 detections; -1 where undefined).</summary>
internal sealed record ClassReport(string Name, int CategoryId, double Ap, double Ap50, int GroundTruth, IReadOnlyList<double> PrecisionAtRecall);

/// <summary>Each image's detection through the pipeline as measured by the evaluation (queue, decode, inference, postprocess).</summary>
internal sealed record LatencySummary(double P50Ms, double P95Ms, double MeanMs, double MaxMs);

/// <summary>What scoring an image cost: core-milliseconds it held through the pipeline, at the configured price (Tenancy:Cost).</summary>
internal sealed record CostSummary(string Currency, double PricePerCoreSecond, double CoreMsPerImage, double CostPerThousandImages);

/// <summary>The stored report of an evaluation job (JSON, snake_case like every answer). <c>CalibratedScores</c>: the same detections' calibration with the version's calibrated scores, when it has a calibration.</summary>
internal sealed record EvaluationJobReport(
    string Model,
    string Version,
    string Sha256,
    string Annotations,
    string Images,
    int ImageCount,
    int DetectionCount,
    EvaluationStats Stats,
    IReadOnlyList<ClassReport> Classes,
    ConfusionMatrix Confusion,
    CalibrationSummary Calibration,
    LatencySummary Latency,
    CalibrationSummary? CalibratedScores = null)
{
    public CostSummary? Cost { get; init; }

    public DatasetSummary? Dataset { get; init; }
}

/// <summary>
/// The data scored, by content: the dataset version and split (null for a COCO folder) and the
/// annotations file's sha256; for a version, whether it was complete when scored and how many of
/// its entries were erased (an incomplete version is scored without them).
/// </summary>
internal sealed record DatasetSummary(string? Version, string? Split, string AnnotationsSha256, bool? Complete, int? Erased);
