using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Keys;

/// <summary><see cref="IKeyHashing"/>: HMAC-SHA256 under a per-purpose key derived from the API-key hashing secret.</summary>
internal sealed class PurposeKeyHashing(IOptions<TenancyOptions> options) : IKeyHashing
{
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.ApiKeyHashSecret);
    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public string NewKey(string prefix) => prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public byte[] Hash(string purpose, string key)
    {
        var derived = _keys.GetOrAdd(purpose, p => HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("detector/key-purpose/" + p)));
        return HMACSHA256.HashData(derived, Encoding.UTF8.GetBytes(key));
    }
}
