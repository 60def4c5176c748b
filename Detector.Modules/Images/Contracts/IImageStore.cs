namespace Detector.Modules.Images.Contracts;

/// <summary>A stored image: its content address (lower-case hex SHA-256) and size.</summary>
public sealed record StoredImage(string Sha256, long Length);

/// <summary>
/// Where uploaded images live. The store computes the address itself, so callers never hash
/// images for storage, and storing the same bytes twice keeps one copy.
/// </summary>
public interface IImageStore
{
    /// <summary>Stores the bytes (unless already present) and returns their address.</summary>
    Task<StoredImage> PutAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken);

    /// <summary>The bytes stored under <paramref name="sha256"/>, or null when there are none.</summary>
    Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken);
}
