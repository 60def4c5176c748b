namespace Detector.Modules.Evaluation.Contracts;

/// <summary>The `calibrate` command's settings: fit a version's score calibration on one labelled dataset, check it on another.</summary>
public sealed record CalibrationSettings
{
    /// <summary>name (production), name@version or name@alias.</summary>
    public required string Model { get; init; }

    public required string AnnotationsPath { get; init; }

    public required string ImagesDirectory { get; init; }

    /// <summary>A second dataset to measure the calibration on (never the fit set); null: none.</summary>
    public string? CheckAnnotationsPath { get; init; }

    public string? CheckImagesDirectory { get; init; }

    /// <summary>Keep the calibration with the version in the registry.</summary>
    public bool Register { get; init; }
}
