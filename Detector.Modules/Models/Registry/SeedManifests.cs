using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Models.Registry;

/// <summary>A seed: a manifest shipped with the app and the ONNX file it names in <c>Models:Directory</c>.</summary>
internal sealed record Seed(string Name, string Artifact, ManifestDocument Document, string ManifestJson, long SizeBytes, ModelManifest Manifest);

/// <summary>
/// Reads the manifests in <c>Models:ManifestDirectory</c> and hashes their files. Each becomes
/// the version <c>sha256[..12]</c> of its model, with <c>production</c> pointing at it, when the
/// registry does not hold it yet. A bad seed stops start-up: a model that would answer wrongly is
/// worse than a service that refuses to start.
/// </summary>
internal static class SeedManifests
{
    public static IReadOnlyList<Seed> Read(ModelsOptions options)
    {
        var manifestDir = Path.IsPathRooted(options.ManifestDirectory) ? options.ManifestDirectory : Path.Combine(AppContext.BaseDirectory, options.ManifestDirectory);
        if (!System.IO.Directory.Exists(manifestDir))
        {
            throw new InvalidOperationException($"Model manifest folder '{manifestDir}' does not exist.");
        }

        var seeds = new List<Seed>();
        foreach (var path in System.IO.Directory.GetFiles(manifestDir, "*.json").Order(StringComparer.Ordinal))
        {
            var json = File.ReadAllText(path);
            var doc = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestDocument)
                ?? throw new InvalidOperationException($"Manifest '{path}' is empty.");
            var name = doc.Name ?? Path.GetFileNameWithoutExtension(path);
            var artifact = ArtifactLocation.Normalise(ArtifactLocation.Shared + (doc.File ?? name + ".onnx"))
                ?? throw new InvalidOperationException($"Manifest '{path}': file must be a plain *.onnx file name in Models:Directory.");
            var filePath = ArtifactLocation.Resolve(artifact, options);
            if (!File.Exists(filePath))
            {
                throw new InvalidOperationException($"Manifest '{path}': model file '{filePath}' not found (set Models__Directory).");
            }

            var sha256 = Sha256Of(filePath);
            var manifest = ManifestReader.Read(doc, name, sha256[..12], filePath, sha256, "fp32", path);
            seeds.Add(new Seed(name, artifact, doc, JsonSerializer.Serialize(doc, ManifestJsonContext.Default.ManifestDocument), new FileInfo(filePath).Length, manifest));
        }

        return seeds;
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
