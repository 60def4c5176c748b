namespace Detector.Modules.Images.Storage;

/// <summary>
/// One place image blobs can live. The store around it hashes, encrypts, measures and traces; a
/// backend only moves opaque bytes (ciphertext) under their key.
/// </summary>
internal interface IImageBackend
{
    /// <summary>The backend's name in configuration, metrics and logs.</summary>
    string Name { get; }

    /// <summary>
    /// Stores the blob under its key; storing a key that is already there changes nothing. True
    /// when this put created the blob, false when the key was there already: a caller that
    /// stored an image for a detection that then failed removes only what it created.
    /// </summary>
    Task<bool> PutAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken);

    /// <summary>
    /// Overwrites the blob under an existing key in one step (sealing a legacy plaintext blob);
    /// never leaves the key empty, and never brings back a blob deleted meanwhile (false then).
    /// </summary>
    Task<bool> ReplaceAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken);

    /// <summary>The blob under the key, or null.</summary>
    Task<byte[]?> GetAsync(ImageKey key, CancellationToken cancellationToken);

    /// <summary>Removes the blob under the key; false when there was none.</summary>
    Task<bool> DeleteAsync(ImageKey key, CancellationToken cancellationToken);

    /// <summary>Removes every blob of the tenant (and any folder or prefix named after it); returns how many blobs went.</summary>
    Task<long> DeleteTenantAsync(Guid tenant, CancellationToken cancellationToken);

    /// <summary>Whether the tenant has any blob here (a region change must not strand one).</summary>
    Task<bool> HasTenantBlobsAsync(Guid tenant, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what interrupted writes left behind before <paramref name="olderThan"/> (temporary
    /// files, unfinished multipart uploads); returns how many. Never touches a stored image.
    /// </summary>
    Task<int> SweepStraysAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);

    /// <summary>Throws when the backend cannot be reached or written; used by the readiness check.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>Every key stored, in pages (for copying a store; never on a request path).</summary>
    IAsyncEnumerable<ImageKey> ListAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Where one tenant's image lives: its tenant and the SHA-256 of its (plaintext) bytes. Images are
/// per tenant: the same photo uploaded by two tenants is two blobs under two keys, encrypted
/// under two data keys, and one tenant's upload never reveals whether another's exists.
/// </summary>
internal readonly record struct ImageKey(Guid Tenant, string Sha256)
{
    public static ImageKey Of(Guid tenant, string sha256)
    {
        ContentAddress.Validate(sha256);
        return new ImageKey(tenant, sha256);
    }

    public override string ToString() => $"{Tenant:N}/{Sha256}";
}

/// <summary>Content addresses: lower-case hex SHA-256, the only keys a backend accepts.</summary>
internal static class ContentAddress
{
    public static string Of(ReadOnlySpan<byte> image) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image));

    public static bool IsValid(string sha256) => sha256.Length == 64 && sha256.All(char.IsAsciiHexDigitLower);

    public static void Validate(string sha256)
    {
        if (!IsValid(sha256))
        {
            throw new ArgumentException("Not a lower-case hex SHA-256.", nameof(sha256));
        }
    }
}

/// <summary>Some of a tenant's objects could not be deleted: the erase failed, and is run again later (the tenant is still found).</summary>
internal sealed class TenantEraseIncompleteException(Guid tenant, int remaining, int attempts, string firstError)
    : Exception($"{remaining} image object(s) of tenant {tenant} could not be deleted after {attempts} attempt(s) ({firstError}); the erase must be run again.")
{
    public int Remaining { get; } = remaining;
}
