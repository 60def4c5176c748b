namespace Detector.Modules.Variants.Contracts;

/// <summary>The `export` command's settings (parsed and range-checked by the command line).</summary>
public sealed record ExportSettings
{
    /// <summary>The float version to compress: a name (its production version), <c>name@version</c> or <c>name@alias</c>.</summary>
    public required string Model { get; init; }

    /// <summary><c>int8</c> (static QDQ, calibrated) or <c>fp16</c>.</summary>
    public required string Precision { get; init; }

    /// <summary>The ONNX file to write.</summary>
    public required string OutputPath { get; init; }

    /// <summary>Folder of calibration images (int8). Never the evaluation images.</summary>
    public string? CalibrationDirectory { get; init; }

    /// <summary>Percentile of each activation's values kept on either side; 100 is plain min/max.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Adds each calibration image's mirror image.</summary>
    public bool Mirror { get; init; } = true;

    /// <summary>Convolutions from the input kept float.</summary>
    public int FloatHead { get; init; }

    /// <summary>Convolutions before the outputs kept float (1: the head's last ones).</summary>
    public int FloatTail { get; init; } = 1;

    /// <summary>Node names kept float besides.</summary>
    public IReadOnlyList<string> FloatNodes { get; init; } = [];

    /// <summary>Registers the written file as a version of the model (needs the registry's database).</summary>
    public bool Register { get; init; }

    /// <summary>The registered version's label; null: the first 12 hex digits of its sha256.</summary>
    public string? Version { get; init; }

    /// <summary>Timing rounds, float and variant interleaved, for the measured speed-up.</summary>
    public int TimingRounds { get; init; } = 7;
}
