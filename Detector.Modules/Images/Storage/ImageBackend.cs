namespace Detector.Modules.Images.Storage;

/// <summary>One place image bytes can live. The store around it hashes, measures and traces; a backend only moves bytes.</summary>
internal interface IImageBackend
{
    /// <summary>The backend's name in configuration, metrics and logs.</summary>
    string Name { get; }

    /// <summary>Stores the bytes under their address; storing an address that is already there changes nothing.</summary>
    Task PutAsync(string sha256, ReadOnlyMemory<byte> image, CancellationToken cancellationToken);

    /// <summary>The bytes under the address, or null.</summary>
    Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Throws when the backend cannot be reached or written; used by the readiness check.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>Every address stored, in pages, in ascending order (for copying a store; never on a request path).</summary>
    IAsyncEnumerable<string> ListAsync(CancellationToken cancellationToken);
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
