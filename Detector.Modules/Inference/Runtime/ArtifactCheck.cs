using System.Security.Cryptography;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Inference.Runtime;

/// <summary>An artifact whose bytes are not the ones registered: refused, never served.</summary>
internal sealed class ArtifactMismatchException(string message) : Exception(message);

/// <summary>Reads a version's artifact and checks it against the registered sha256 before any session sees it.</summary>
internal static class ArtifactCheck
{
    public static byte[] ReadVerified(ModelManifest manifest)
    {
        var bytes = File.ReadAllBytes(manifest.FilePath);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return actual == manifest.Sha256
            ? bytes
            : throw new ArtifactMismatchException($"artifact {Path.GetFileName(manifest.FilePath)} has sha256 {actual}, registered {manifest.Sha256}");
    }
}
