using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Models;

/// <summary>
/// Turns a manifest document into a <see cref="ModelManifest"/>, refusing what would answer
/// wrongly: a model fed the wrong tensor is worse than one refused.
/// </summary>
internal static class ManifestReader
{
    /// <summary>The manifest of version <paramref name="version"/>, whose artifact is at <paramref name="filePath"/> with <paramref name="sha256"/>.</summary>
    public static ModelManifest Read(ManifestDocument doc, string name, string version, string filePath, string sha256, string precision, string source)
    {
        string Fail(string what) => throw new InvalidManifestException($"Manifest '{source}': {what}.");

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
            throw new InvalidManifestException($"Manifest '{source}': input needs name, width and height.");
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

        return new ModelManifest
        {
            Name = name,
            Version = version,
            Sha256 = sha256,
            Precision = precision,
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
}

/// <summary>A manifest that cannot be served as it is; start-up fails on a seed's, the admin API answers 400 for a new version's.</summary>
internal sealed class InvalidManifestException(string message) : InvalidOperationException(message);
