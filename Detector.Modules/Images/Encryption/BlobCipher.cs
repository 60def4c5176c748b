using System.Security.Cryptography;
using System.Text;
using Detector.Modules.Images.Storage;

namespace Detector.Modules.Images.Encryption;

/// <summary>
/// One image blob: "DTI1", a 96-bit nonce, the AES-256-GCM ciphertext and its 128-bit tag, under
/// the tenant's data key, with the tenant and the image's SHA-256 as associated data (a blob moved
/// to another key or tenant does not open). The nonce is synthetic: HMAC-SHA256 of the key
/// (tenant and plaintext hash) under a subkey of the data key. So the same image of the same
/// tenant always seals to the same blob, and concurrent or repeated writes of it are idempotent in
/// every backend (s3rver showed that different blobs racing under one key can leave a torn
/// object). Different images get different nonces, since their hashes differ, so a nonce is never
/// reused with another plaintext. Images stored before encryption have no magic (an image
/// format's own signature comes first) and are read as they are.
/// </summary>
internal static class BlobCipher
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private static readonly byte[] Magic = "DTI1"u8.ToArray();

    public static int Overhead => Magic.Length + NonceBytes + TagBytes;

    public static bool IsSealed(ReadOnlySpan<byte> blob) => blob.Length >= Overhead && blob.StartsWith(Magic);

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="blob"/>, which is <see cref="Overhead"/> bytes longer.</summary>
    public static void Seal(byte[] dataKey, ImageKey key, ReadOnlySpan<byte> plaintext, Span<byte> blob)
    {
        Magic.CopyTo(blob);
        var nonce = blob.Slice(Magic.Length, NonceBytes);
        var context = Context(key);
        Span<byte> nonceKey = stackalloc byte[32];
        HMACSHA256.HashData(dataKey, "detector-image-nonce"u8, nonceKey);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(nonceKey, context, mac);
        mac[..NonceBytes].CopyTo(nonce);
        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Encrypt(nonce, plaintext, blob.Slice(Magic.Length + NonceBytes, plaintext.Length), blob.Slice(Magic.Length + NonceBytes + plaintext.Length, TagBytes), context);
    }

    /// <summary>The plaintext; throws <see cref="CryptographicException"/> when the blob was altered or belongs to another key.</summary>
    public static byte[] Open(byte[] dataKey, ImageKey key, ReadOnlySpan<byte> blob)
    {
        var length = blob.Length - Overhead;
        var plaintext = new byte[length];
        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Decrypt(blob.Slice(Magic.Length, NonceBytes), blob.Slice(Magic.Length + NonceBytes, length), blob.Slice(Magic.Length + NonceBytes + length, TagBytes), plaintext, Context(key));
        return plaintext;
    }

    private static byte[] Context(ImageKey key) => Encoding.ASCII.GetBytes(key.ToString());
}
