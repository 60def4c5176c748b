using System.Buffers;
using Detector.Modules.Common;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Ingestion.SubmitImage;

/// <summary>An uploaded image in a pooled buffer; dispose to hand the buffer back.</summary>
internal sealed class UploadedImage(byte[] buffer, int length, string? fileName) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlyMemory<byte> Bytes => _buffer.AsMemory(0, length);

    public string? FileName { get; } = fileName;

    public void Dispose()
    {
        if (_buffer is { } b)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}

/// <summary>
/// Reads an image from multipart/form-data (field "image") or a raw body, enforcing the size
/// limit while streaming so an oversized upload is refused without being buffered.
/// </summary>
internal static class ImageBody
{
    private const int MultipartOverhead = 64 * 1024;

    public static async Task<UploadedImage> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength is { } declared && declared > maxBytes + MultipartOverhead)
        {
            throw TooLarge(maxBytes);
        }

        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = maxBytes + MultipartOverhead;
        }

        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            if (request.ContentLength is null or 0)
            {
                throw Empty();
            }

            throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "Send multipart/form-data with an 'image' field, or the raw image with an image/* or application/octet-stream content type.");
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "The Content-Type header could not be parsed.");
        }

        try
        {
            if (mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                return await ReadMultipartAsync(request, mediaType, maxBytes, ct);
            }

            if (mediaType.MediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
                || mediaType.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                return await ReadStreamAsync(request.Body, maxBytes, request.ContentLength, null, ct);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }

        throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", $"Content-Type '{mediaType.MediaType}' is not accepted. Send multipart/form-data with an 'image' field, or the raw image with an image/* or application/octet-stream content type.");
    }

    private static async Task<UploadedImage> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue mediaType, long maxBytes, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed multipart body", "The multipart Content-Type has no boundary.");
        }

        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = maxBytes + MultipartOverhead };
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.Name.Equals("image", StringComparison.Ordinal))
                {
                    continue;
                }

                var fileName = disposition.FileName.HasValue ? disposition.FileName.Value : disposition.FileNameStar.Value;
                return await ReadStreamAsync(section.Body, maxBytes, null, fileName, ct);
            }
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(maxBytes);
        }
        catch (IOException ex)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed multipart body", ex.Message);
        }
        catch (InvalidDataException ex)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed multipart body", ex.Message);
        }

        throw new ProblemException(400, ErrorCodes.MissingImageField, "Missing image", "The multipart body has no 'image' field.");
    }

    private static async Task<UploadedImage> ReadStreamAsync(Stream body, long maxBytes, long? declared, string? fileName, CancellationToken ct)
    {
        var initial = (int)Math.Clamp(declared ?? 256 * 1024, 1024, maxBytes + 1);
        var buffer = ArrayPool<byte>.Shared.Rent(initial);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }

            if (length == 0)
            {
                throw Empty();
            }

            return new UploadedImage(buffer, length, fileName);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static ProblemException TooLarge(long maxBytes) =>
        new(413, ErrorCodes.PayloadTooLarge, "Payload too large", $"Images may be at most {maxBytes} bytes.");

    private static ProblemException Empty() =>
        new(400, ErrorCodes.EmptyBody, "Empty body", "The request carries no image bytes.");
}
