using System.Security.Cryptography;
using System.Text;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Variants.Calibration;

/// <summary>
/// The images whose activations set the ranges, as model inputs: every JPEG or PNG of a folder in
/// ordinal name order, each preprocessed exactly as a served request is, and (optionally) its
/// mirror image as well, a deterministic augmentation that doubles the samples without inventing
/// pixels. Its hash covers the files' names and bytes and the augmentation, and is registered
/// with the variant, so a variant names the data it was calibrated on.
/// </summary>
internal sealed class CalibrationSet
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    private CalibrationSet(IReadOnlyList<float[]> inputs, string sha256, int images)
    {
        Inputs = inputs;
        Sha256 = sha256;
        Images = images;
    }

    public IReadOnlyList<float[]> Inputs { get; }

    public string Sha256 { get; }

    public int Images { get; }

    public static CalibrationSet Load(string directory, PreprocessSpec spec, bool mirror, IImagePreprocessor preprocessor)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new VariantExportException($"No JPEG or PNG images in the calibration folder '{directory}'.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"mirror={mirror}\n"));
        var inputs = new List<float[]>();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            hash.AppendData(Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}:{Convert.ToHexStringLower(SHA256.HashData(bytes))}\n"));
            var tensor = new float[3 * spec.Width * spec.Height];
            preprocessor.Preprocess(bytes, spec, tensor);
            inputs.Add(tensor);
            if (mirror)
            {
                inputs.Add(Mirror(tensor, spec.Width));
            }
        }

        return new CalibrationSet(inputs, Convert.ToHexStringLower(hash.GetHashAndReset()), files.Count);
    }

    private static float[] Mirror(float[] chw, int width)
    {
        var mirrored = new float[chw.Length];
        for (var row = 0; row < chw.Length; row += width)
        {
            for (var x = 0; x < width; x++)
            {
                mirrored[row + x] = chw[row + width - 1 - x];
            }
        }

        return mirrored;
    }
}
