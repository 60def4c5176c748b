using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Models;

public sealed class ModelsOptions
{
    public const string SectionName = "Models";

    /// <summary>Folder holding the ONNX files. Relative paths resolve against the working directory.</summary>
    [Required]
    public string Directory { get; set; } = "../shared/models";

    /// <summary>Folder of model manifests (*.json); relative paths resolve against the app folder.</summary>
    [Required]
    public string ManifestDirectory { get; set; } = "model-manifests";

    [Required]
    public string Default { get; set; } = "yolox_nano_416";

    /// <summary>
    /// Serve `&lt;file&gt;_fp16.onnx` instead of `&lt;file&gt;.onnx` where it exists (GPU deployments).
    /// The variant must keep float32 inputs and outputs (e.g. onnxconverter-common keep_io_types).
    /// </summary>
    public bool PreferFp16Variant { get; set; }

    /// <summary>Names to serve; empty serves every manifest found.</summary>
    public IList<string> Enabled { get; } = [];
}
