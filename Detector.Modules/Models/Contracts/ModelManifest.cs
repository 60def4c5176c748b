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
}

/// <summary>The models this process serves, loaded from manifests at start.</summary>
public interface IModelCatalog
{
    string DefaultModel { get; }

    IReadOnlyList<ModelManifest> Models { get; }

    /// <summary>The served model <paramref name="name"/> names, or null; <c>name@version</c> finds it only when that version is the one served.</summary>
    ModelManifest? Find(string name);
}
