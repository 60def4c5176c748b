using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Models.Contracts;

/// <summary>The output head a decoder understands. A new family means new code; a new model of a known family does not.</summary>
public enum ModelFamily
{
    /// <summary>YOLOX: one [B,N,5+C] tensor, grid offsets, exp sizes, obj x class scores.</summary>
    Yolox,

    /// <summary>GFL/DFL heads (PicoDet, NanoDet): per-level [B,N,C] scores and [B,N,4*bins] distance logits.</summary>
    Gfl,
}

/// <summary>Everything the service needs to know to serve one ONNX detector.</summary>
public sealed record ModelManifest
{
    public required string Name { get; init; }

    /// <summary>Content version: the first 12 hex digits of the ONNX file's sha256.</summary>
    public required string Version { get; init; }

    /// <summary>The ONNX file's whole sha256 (lower-case hex).</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>The weights' precision: <c>fp32</c>, or <c>fp16</c> for a <c>*_fp16.onnx</c> variant.</summary>
    public string Precision { get; init; } = "fp32";

    public required string FilePath { get; init; }

    public required ModelFamily Family { get; init; }

    public required string InputName { get; init; }

    public required PreprocessSpec Preprocess { get; init; }

    public required IReadOnlyList<int> Strides { get; init; }

    /// <summary>Bins per box side for DFL heads (8 for PicoDet/NanoDet, i.e. reg_max 7).</summary>
    public int DistributionBins { get; init; } = 8;

    /// <summary>Anchor centre offset in cells: 0.5 for GFL heads, 0 for YOLOX.</summary>
    public float CenterOffset { get; init; }

    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>COCO category id per class index, for COCO-format result files; empty when the model is not COCO.</summary>
    public IReadOnlyList<int> CocoCategoryIds { get; init; } = [];

    /// <summary>The version's score calibration, fitted by `calibrate`; null when it has none.</summary>
    public ScoreCalibration? Calibration { get; init; }
}

/// <summary>
/// The models this process knows: the registry's versions and aliases (in PostgreSQL, followed
/// through its change feed), or the seed manifests alone where no database is configured (the
/// <c>eval</c> command). Which of them this instance has loaded is the Inference module's.
/// </summary>
public interface IModelCatalog
{
    string DefaultModel { get; }

    /// <summary>The registry as last read: every model with its versions and aliases.</summary>
    RegistrySnapshot Snapshot { get; }

    /// <summary>Each model's <c>production</c> version, for what lists or evaluates "the" model.</summary>
    IReadOnlyList<ModelManifest> Models { get; }

    /// <summary>
    /// <c>name</c>: its production version; <c>name@version</c> or <c>name@alias</c>: that version
    /// as registered, whatever its state. Null when nothing is registered under it.
    /// </summary>
    ModelManifest? Find(string name);

    /// <summary>A token that fires once the registry snapshot changes (a new one is taken after).</summary>
    Microsoft.Extensions.Primitives.IChangeToken Watch();
}
