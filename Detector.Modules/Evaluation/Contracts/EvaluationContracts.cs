namespace Detector.Modules.Evaluation.Contracts;

/// <summary>What to evaluate: one model against one COCO annotations file and its image folder.</summary>
public sealed record EvaluationSettings
{
    /// <summary>Model name as the catalog knows it; null means the catalog's default.</summary>
    public string? Model { get; init; }

    /// <summary>COCO instances json (images, annotations, categories).</summary>
    public required string AnnotationsPath { get; init; }

    /// <summary>Folder holding the annotation images by file_name; images not found there are skipped.</summary>
    public required string ImagesDirectory { get; init; }

    /// <summary>Where to write the COCO results json; null writes none.</summary>
    public string? ResultsPath { get; init; }

    public float MinScore { get; init; } = 0.01f;

    public float Iou { get; init; } = 0.65f;

    public int MaxDetections { get; init; } = 100;

    /// <summary>Upscale every image (and the ground truth with it) by this factor before detection; 1 sends the files untouched.</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>Images in flight at once, so the pipeline can batch them.</summary>
    public int Concurrency { get; init; } = 8;
}

/// <summary>The twelve standard COCO numbers; -1 where undefined (no ground truth in that range).</summary>
public sealed record EvaluationStats(
    double MapAll,
    double Map50,
    double Map75,
    double MapSmall,
    double MapMedium,
    double MapLarge,
    double Ar1,
    double Ar10,
    double Ar100,
    double ArSmall,
    double ArMedium,
    double ArLarge);

public sealed record EvaluationReport
{
    public required string Model { get; init; }

    public required string ModelVersion { get; init; }

    public required EvaluationStats Stats { get; init; }

    /// <summary>AP@[.5:.95] (all areas, 100 detections) per category name, only for categories with ground truth.</summary>
    public required IReadOnlyDictionary<string, double> PerClassAp { get; init; }

    public required int ImageCount { get; init; }

    public required int DetectionCount { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public double Scale { get; init; } = 1.0;

    public string? ResultsPath { get; init; }

    /// <summary>The same parts an evaluation job's report has beyond the COCO numbers (the job's report, printed by `eval`).</summary>
    public EvaluationExtras? Extras { get; init; }
}

/// <summary>
/// Calibration (ECE over detections at or above 0.05; calibrated when the version has a
/// calibration), per-image latency and core-milliseconds, and the most frequent class confusions
/// at IoU 0.5 over detections at or above 0.25 ("true → predicted: count").
/// </summary>
public sealed record EvaluationExtras(double ExpectedCalibrationError, double? CalibratedExpectedCalibrationError, double LatencyP50Ms, double LatencyP95Ms, double CoreMsPerImage, IReadOnlyList<string> TopConfusions);

/// <summary>Runs a model over a COCO-annotated image folder through the real detection pipeline and scores it like pycocotools.</summary>
public interface IDatasetEvaluator
{
    Task<EvaluationReport> EvaluateAsync(EvaluationSettings settings, CancellationToken ct);
}
