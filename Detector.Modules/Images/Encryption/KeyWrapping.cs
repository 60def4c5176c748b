using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.Encryption;

/// <summary>A tenant's data key as stored: wrapped under one master key, named by its id.</summary>
internal sealed record WrappedKey(string MasterKeyId, byte[] Wrapped);

/// <summary>
/// Wraps and unwraps tenants' data keys under a master key. The master keys never leave this
/// interface, so a cloud KMS (AWS KMS Encrypt/Decrypt, Azure Key Vault wrapKey/unwrapKey, GCP KMS)
/// can implement it without the rest of the store changing.
/// </summary>
internal interface IKeyWrapper
{
    /// <summary>The master key new data keys are wrapped under.</summary>
    string ActiveKeyId { get; }

    ValueTask<WrappedKey> WrapAsync(byte[] dataKey, CancellationToken cancellationToken);

    /// <summary>Unwraps with the master key named in <paramref name="key"/> (active or retired).</summary>
    ValueTask<byte[]> UnwrapAsync(WrappedKey key, CancellationToken cancellationToken);
}

/// <summary>
/// Master keys from configuration or a key file: AES-256-GCM over the 32-byte data key, with
/// the master key's id as associated data. Retired master keys stay configured until
/// <c>images rewrap-keys</c> has moved every data key to the active one.
/// </summary>
internal sealed class MasterKeyWrapper : IKeyWrapper
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private readonly Dictionary<string, byte[]> _keys;

    public MasterKeyWrapper(IOptions<ImageStoreOptions> options)
    {
        var encryption = options.Value.Encryption;
        _keys = encryption.RetiredMasterKeys.ToDictionary(kv => kv.Key, kv => ImageEncryptionOptions.Decode(kv.Value), StringComparer.Ordinal);
        ActiveKeyId = encryption.MasterKeyId;
        _keys[ActiveKeyId] = ImageEncryptionOptions.Decode(encryption.ReadMasterKey());
    }

    public string ActiveKeyId { get; }

    public ValueTask<WrappedKey> WrapAsync(byte[] dataKey, CancellationToken cancellationToken)
    {
        var wrapped = new byte[NonceBytes + dataKey.Length + TagBytes];
        var nonce = wrapped.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[ActiveKeyId], TagBytes);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceBytes, dataKey.Length), wrapped.AsSpan(NonceBytes + dataKey.Length), Context(ActiveKeyId));
        return ValueTask.FromResult(new WrappedKey(ActiveKeyId, wrapped));
    }

    public ValueTask<byte[]> UnwrapAsync(WrappedKey key, CancellationToken cancellationToken)
    {
        if (!_keys.TryGetValue(key.MasterKeyId, out var master))
        {
            throw new CryptographicException($"Master key '{key.MasterKeyId}' is not configured (ImageStore:Encryption:RetiredMasterKeys).");
        }

        var length = key.Wrapped.Length - NonceBytes - TagBytes;
        var dataKey = new byte[length];
        using var aes = new AesGcm(master, TagBytes);
        aes.Decrypt(key.Wrapped.AsSpan(0, NonceBytes), key.Wrapped.AsSpan(NonceBytes, length), key.Wrapped.AsSpan(NonceBytes + length), dataKey, Context(key.MasterKeyId));
        return ValueTask.FromResult(dataKey);
    }

    private static byte[] Context(string keyId) => Encoding.UTF8.GetBytes("detector-image-data-key:" + keyId);
}
