using System.Security.Cryptography;
using System.Text;

namespace Detector.Modules.Tenancy;

/// <summary>API keys are 256-bit random tokens; only their SHA-256 is stored.</summary>
internal static class ApiKeys
{
    private const string Prefix = "dk_";

    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The first characters identify a key in listings and logs without revealing it.</summary>
    public static string DisplayPrefix(string key) => key.Length > 10 ? key[..10] : key;

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
