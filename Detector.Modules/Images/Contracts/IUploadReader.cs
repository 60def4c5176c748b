using System.Buffers;

namespace Detector.Modules.Images.Contracts;

/// <summary>
/// An uploaded image in a pooled buffer; dispose to hand the buffer back. Work that outlives the
/// request (the image stored after the answer) takes a <see cref="Lease"/>: the buffer goes back
/// to the pool when the owner and every lease are done with it, never while one still reads it.
/// </summary>
public sealed class UploadedImage(byte[] buffer, int length, string? fileName) : IDisposable
{
    private byte[]? _buffer = buffer;
    private int _holders = 1;
    private int _ownerDone;

    public ReadOnlyMemory<byte> Bytes => _buffer.AsMemory(0, length);

    /// <summary>The file name the client gave the part, without any path.</summary>
    public string? FileName { get; } = fileName;

    /// <summary>Keeps the bytes alive until the returned lease is disposed, whatever the owner does meanwhile.</summary>
    public IDisposable Lease()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _ownerDone) == 1, this);
        Interlocked.Increment(ref _holders);
        return new Holder(this);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ownerDone, 1) == 0)
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0 && Interlocked.Exchange(ref _buffer, null) is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    private sealed class Holder(UploadedImage image) : IDisposable
    {
        private UploadedImage? _image = image;

        public void Dispose() => Interlocked.Exchange(ref _image, null)?.Release();
    }
}

/// <summary>Limits of a multi-image upload.</summary>
public sealed record UploadLimits(long MaxImageBytes, int MaxImages, long MaxTotalBytes);

/// <summary>
/// Reads images out of HTTP request bodies, enforcing size limits while streaming (an oversized
/// upload is refused without being buffered). Bad bodies become problem exceptions: 400 for a
/// malformed or empty body, 413 past a limit, 415 for a content type that carries no image.
/// </summary>
public interface IUploadReader
{
    /// <summary>One image: the multipart field "image", or the raw body (image/* or application/octet-stream).</summary>
    Task<UploadedImage> ReadImageAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Every "images" (or "image") part of a multipart/form-data body, one at a time; the caller disposes each.</summary>
    IAsyncEnumerable<UploadedImage> ReadImagesAsync(HttpRequest request, UploadLimits limits, CancellationToken cancellationToken);
}

/// <summary>
/// Removes what a photo says about its owner (EXIF, GPS, XMP, IPTC, comments; orientation kept)
/// from images that did not come through <see cref="IUploadReader"/>, such as fetched URLs, before
/// they are decoded or stored (ADR 0010).
/// </summary>
public interface IImageSanitizer
{
    /// <summary>Strips <paramref name="image"/> in place; returns its new length (never longer).</summary>
    int StripMetadata(Span<byte> image);
}
