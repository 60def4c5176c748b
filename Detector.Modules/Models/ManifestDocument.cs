using System.Text.Json.Serialization;

namespace Detector.Modules.Models;

/// <summary>The on-disk manifest shape (JSON, camelCase); validated and turned into a ModelManifest.</summary>
internal sealed class ManifestDocument
{
    public string? Name { get; set; }

    public string? File { get; set; }

    public string? Family { get; set; }

    public ManifestInput? Input { get; set; }

    public string? ColorOrder { get; set; }

    public string? Resize { get; set; }

    public float PadValue { get; set; }

    public float[]? Mean { get; set; }

    public float[]? Std { get; set; }

    public int[]? Strides { get; set; }

    public float CenterOffset { get; set; }

    public int DistributionBins { get; set; } = 8;

    public string[]? Labels { get; set; }

    public int[]? CocoCategoryIds { get; set; }
}

internal sealed class ManifestInput
{
    public string? Name { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ManifestDocument))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
