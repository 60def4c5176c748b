namespace Detector.Modules.Ingestion.Contracts;

/// <summary>Content-addressed image storage: an image is kept once under its sha256, whoever sent it.</summary>
public interface IImageStore
{
    /// <summary>Stores the bytes under <paramref name="sha256"/> (lower-case hex) unless already present.</summary>
    Task PutAsync(string sha256, ReadOnlyMemory<byte> image, CancellationToken cancellationToken);

    Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken);

    bool Exists(string sha256);
}
