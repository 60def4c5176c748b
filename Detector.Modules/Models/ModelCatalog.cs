using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Models;

/// <summary>
/// Reads every manifest once at start and fails fast on a bad one: a model that would answer
/// wrongly is worse than a service that refuses to start.
/// </summary>
internal sealed class ModelCatalog : IModelCatalog
{
    private readonly Dictionary<string, ModelManifest> _byName;

    public ModelCatalog(IOptions<ModelsOptions> options, ILogger<ModelCatalog> logger)
    {
        var o = options.Value;
        var manifestDir = Path.IsPathRooted(o.ManifestDirectory) ? o.ManifestDirectory : Path.Combine(AppContext.BaseDirectory, o.ManifestDirectory);
        var modelDir = Path.GetFullPath(o.Directory);
        if (!System.IO.Directory.Exists(manifestDir))
        {
            throw new InvalidOperationException($"Model manifest folder '{manifestDir}' does not exist.");
        }

        _byName = new Dictionary<string, ModelManifest>(StringComparer.Ordinal);
        foreach (var path in System.IO.Directory.GetFiles(manifestDir, "*.json").Order(StringComparer.Ordinal))
        {
            var doc = JsonSerializer.Deserialize(File.ReadAllText(path), ManifestJsonContext.Default.ManifestDocument)
                ?? throw new InvalidOperationException($"Manifest '{path}' is empty.");
            var name = doc.Name ?? Path.GetFileNameWithoutExtension(path);
            if (o.Enabled.Count > 0 && !o.Enabled.Contains(name))
            {
                continue;
            }

            var manifest = ToManifest(doc, name, modelDir, path, o.PreferFp16Variant);
            _byName.Add(manifest.Name, manifest);
            logger.LogInformation("Model {Model} version {Version} ({Family}) from {File}", manifest.Name, manifest.Version, manifest.Family, manifest.FilePath);
        }

        if (_byName.Count == 0)
        {
            throw new InvalidOperationException($"No model manifests found in '{manifestDir}'.");
        }

        if (!_byName.ContainsKey(o.Default))
        {
            throw new InvalidOperationException($"Default model '{o.Default}' is not among the served models ({string.Join(", ", _byName.Keys)}).");
        }

        DefaultModel = o.Default;
        Models = [.. _byName.Values];
    }

    public string DefaultModel { get; }

    public IReadOnlyList<ModelManifest> Models { get; }

    public ModelManifest? Find(string name)
    {
        // A pinned version is found only while it is the one served: the registry's other versions are not loaded here.
        var selector = ModelSelector.Parse(name);
        return _byName.GetValueOrDefault(selector.Name) is { } manifest && (!selector.Pinned || selector.Version == manifest.Version) ? manifest : null;
    }

    internal static ModelManifest ToManifest(ManifestDocument doc, string name, string modelDir, string source, bool preferFp16 = false)
    {
        string Fail(string what) => throw new InvalidOperationException($"Manifest '{source}': {what}.");

        var file = doc.File ?? name + ".onnx";
        var filePath = Path.IsPathRooted(file) ? file : Path.Combine(modelDir, file);
        var fp16 = Path.Combine(Path.GetDirectoryName(filePath)!, Path.GetFileNameWithoutExtension(filePath) + "_fp16.onnx");
        if (preferFp16 && File.Exists(fp16))
        {
            filePath = fp16;
        }
        if (!File.Exists(filePath))
        {
            Fail($"model file '{filePath}' not found (set Models__Directory)");
        }

        var family = doc.Family?.ToUpperInvariant() switch
        {
            "YOLOX" => ModelFamily.Yolox,
            "GFL" => ModelFamily.Gfl,
            _ => (ModelFamily)(-1),
        };
        if (!Enum.IsDefined(family))
        {
            Fail($"unknown family '{doc.Family}' (yolox, gfl)");
        }

        var color = doc.ColorOrder?.ToUpperInvariant() switch
        {
            "RGB" => ColorOrder.Rgb,
            "BGR" => ColorOrder.Bgr,
            _ => (ColorOrder)(-1),
        };
        if (!Enum.IsDefined(color))
        {
            Fail($"unknown colorOrder '{doc.ColorOrder}' (rgb, bgr)");
        }

        var resize = doc.Resize?.ToUpperInvariant() switch
        {
            "STRETCH" => ResizeMode.Stretch,
            "LETTERBOXTOPLEFT" => ResizeMode.LetterboxTopLeft,
            "LETTERBOXCENTERED" => ResizeMode.LetterboxCentered,
            _ => (ResizeMode)(-1),
        };
        if (!Enum.IsDefined(resize))
        {
            Fail($"unknown resize '{doc.Resize}' (stretch, letterboxTopLeft, letterboxCentered)");
        }

        if (doc.Input is not { Width: > 0, Height: > 0 } input || string.IsNullOrWhiteSpace(input.Name))
        {
            throw new InvalidOperationException($"Manifest '{source}': input needs name, width and height.");
        }

        if (doc.Mean is not { Length: 3 } || doc.Std is not { Length: 3 } || Array.Exists(doc.Std, s => s <= 0))
        {
            Fail("mean and std need 3 values each, std positive");
        }

        if (doc.Strides is not { Length: > 0 } || Array.Exists(doc.Strides, s => s <= 0))
        {
            Fail("strides must be positive");
        }

        if (doc.Labels is not { Length: > 0 })
        {
            Fail("labels are required");
        }

        if (doc.CocoCategoryIds is { Length: > 0 } ids && ids.Length != doc.Labels!.Length)
        {
            Fail("cocoCategoryIds must have one id per label");
        }

        var sha256 = Sha256Of(filePath);
        return new ModelManifest
        {
            Name = name,
            Version = sha256[..12],
            Sha256 = sha256,
            Precision = filePath.EndsWith("_fp16.onnx", StringComparison.OrdinalIgnoreCase) ? "fp16" : "fp32",
            FilePath = filePath,
            Family = family,
            InputName = input.Name,
            Preprocess = new PreprocessSpec(input.Width, input.Height, color, resize, doc.PadValue, doc.Mean!, doc.Std!),
            Strides = doc.Strides!,
            DistributionBins = doc.DistributionBins,
            CenterOffset = doc.CenterOffset,
            Labels = doc.Labels!,
            CocoCategoryIds = doc.CocoCategoryIds ?? [],
        };
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
