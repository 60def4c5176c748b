using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Keys;

/// <summary>
/// API keys: 256-bit random tokens, stored only as HMAC-SHA256 under a server secret (a leaked
/// table cannot be tested against guesses without the secret). The random tokens need no slow
/// password hash; the keyed hash is computed on every uncached check, so it must stay cheap.
/// Other modules' keys (<see cref="IKeyHashing"/>) are made the same way, each purpose hashed
/// under a key derived from the same secret.
/// </summary>
internal sealed class KeyHasher(IOptions<TenancyOptions> options) : IKeyHashing
{
    private const string Prefix = "dk_";

    /// <summary>Browser keys look different, so one found in a page or a leak report is recognised as one at a glance.</summary>
    private const string BrowserPrefix = "dkb_";
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.ApiKeyHashSecret);
    private readonly ConcurrentDictionary<string, byte[]> _purposeKeys = new(StringComparer.Ordinal);

    public static string Generate(string kind) => Token(kind == TenantClaims.BrowserKey ? BrowserPrefix : Prefix);

    public byte[] Hash(string key) => HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(key));

    /// <summary>The plain SHA-256 keys were stored under before keyed hashing (re-hashed at their first use).</summary>
    public static byte[] LegacyHash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The first characters identify a key in listings and logs without revealing it.</summary>
    public static string DisplayPrefix(string key) => key.Length > 10 ? key[..10] : key;

    public string NewKey(string prefix) => Token(prefix);

    public byte[] Hash(string purpose, string key)
    {
        var derived = _purposeKeys.GetOrAdd(purpose, p => HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("detector/key-purpose/" + p)));
        return HMACSHA256.HashData(derived, Encoding.UTF8.GetBytes(key));
    }

    string IKeyHashing.DisplayPrefix(string key) => DisplayPrefix(key);

    private static string Token(string prefix) => prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
