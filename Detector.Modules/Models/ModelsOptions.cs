using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Models;

public sealed class ModelsOptions
{
    public const string SectionName = "Models";

    /// <summary>Folder holding the seed ONNX files (artifacts <c>shared:*</c>). Relative paths resolve against the working directory.</summary>
    [Required]
    public string Directory { get; set; } = "../shared/models";

    /// <summary>
    /// Folder of registered artifacts (<c>store:*</c>), the artifact store of a single node or a
    /// volume every instance mounts. Relative paths resolve against the working directory.
    /// </summary>
    [Required]
    public string ArtifactDirectory { get; set; } = ".data/model-artifacts";

    /// <summary>This instance's copies of artifacts kept in PostgreSQL (<c>db:</c>), each checked by sha256 before every load.</summary>
    [Required]
    public string ArtifactCacheDirectory { get; set; } = ".data/model-cache";

    /// <summary>The largest artifact <c>PUT /v1/admin/models/artifacts</c> accepts.</summary>
    [Range(1024, 1L << 30)]
    public long MaxArtifactBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Folder of seed manifests (*.json), registered at start-up when absent; relative paths resolve against the app folder.</summary>
    [Required]
    public string ManifestDirectory { get; set; } = "model-manifests";

    [Required]
    public string Default { get; set; } = "yolox_nano_416";

    /// <summary>
    /// Whether the registry in PostgreSQL is the source of versions and aliases (the service);
    /// false serves the seed manifests alone (the eval command, which has no database).
    /// </summary>
    public bool Registry { get; set; } = true;

    /// <summary>Names to serve; empty serves every registered model.</summary>
    public IList<string> Enabled { get; } = [];

    /// <summary>
    /// The registry is re-read on every change notice; this is the longest an instance goes
    /// without re-reading it anyway (a notice lost with a dropped connection).
    /// </summary>
    [Range(1, 3600)]
    public int RegistryRefreshSeconds { get; set; } = 30;
}
