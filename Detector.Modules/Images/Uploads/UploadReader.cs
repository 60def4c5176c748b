using System.Buffers;
using System.Runtime.CompilerServices;
using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Uploads.Metadata;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Images.Uploads;

/// <summary>
/// The one reader of uploaded images, for sync detection and job uploads. Each image is copied
/// into a pooled buffer with its own cap, so a limit is known by counting bytes, never by reading
/// an exception's text; the request body as a whole is capped by Kestrel, whose refusal carries a
/// 413 status code.
/// </summary>
internal sealed class UploadReader : IUploadReader
{
    private const int MaxBoundaryLength = 70;
    private const int FirstBufferBytes = 256 * 1024;

    // Boundaries and part headers around a single image, and per image of a multi-image upload.
    private const int SingleImageOverhead = 64 * 1024;
    private const int OverheadPerImage = 4096;

    public async Task<UploadedImage> ReadImageAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        CapBody(request, maxBytes + SingleImageOverhead, () => ImageTooLarge(maxBytes));
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            throw request.ContentLength is null or 0
                ? Empty()
                : new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "Send multipart/form-data with an 'image' field, or the raw image with an image/* or application/octet-stream content type.");
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "The Content-Type header could not be parsed.");
        }

        if (mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var reader = Multipart(request, mediaType);
            while (await NextSectionAsync(reader, () => ImageTooLarge(maxBytes), cancellationToken) is { } section)
            {
                if (ImagePart(section, "image") is { } fileName)
                {
                    return await CopyAsync(section.Body, maxBytes, null, fileName, () => ImageTooLarge(maxBytes), cancellationToken);
                }
            }

            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.MissingImageField, "Missing image", "The multipart body has no 'image' field.");
        }

        if (mediaType.MediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            || mediaType.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            return await CopyAsync(request.Body, maxBytes, request.ContentLength, null, () => ImageTooLarge(maxBytes), cancellationToken);
        }

        throw new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", $"Content-Type '{mediaType.MediaType}' is not accepted. Send multipart/form-data with an 'image' field, or the raw image with an image/* or application/octet-stream content type.");
    }

    public async IAsyncEnumerable<UploadedImage> ReadImagesAsync(HttpRequest request, UploadLimits limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Func<DomainException> totalTooLarge = () => new(OutcomeKind.TooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", $"A job may upload at most {limits.MaxTotalBytes} bytes of images.");
        CapBody(request, limits.MaxTotalBytes + ((long)limits.MaxImages * OverheadPerImage), totalTooLarge);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
        {
            throw new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "The Content-Type header could not be parsed.");
        }

        var reader = Multipart(request, mediaType);
        var count = 0;
        long total = 0;
        while (await NextSectionAsync(reader, totalTooLarge, cancellationToken) is { } section)
        {
            if ((ImagePart(section, "images") ?? ImagePart(section, "image")) is not { } fileName)
            {
                continue;
            }

            if (count == limits.MaxImages)
            {
                throw new DomainException(OutcomeKind.TooLarge, ErrorCodes.TooManyImages, "Too many images", $"A job may carry at most {limits.MaxImages} images.");
            }

            var image = await CopyAsync(section.Body, limits.MaxImageBytes, null, fileName, () => EachImageTooLarge(limits.MaxImageBytes), cancellationToken);
            total += image.Bytes.Length;
            if (total > limits.MaxTotalBytes)
            {
                image.Dispose();
                throw totalTooLarge();
            }

            count++;
            yield return image;
        }

        if (count == 0)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.MissingImageField, "Missing images", "The multipart body has no 'images' field.");
        }
    }

    /// <summary>Refuses a declared length over the cap at once, and has Kestrel enforce it while reading.</summary>
    private static void CapBody(HttpRequest request, long maxBody, Func<DomainException> tooLarge)
    {
        if (request.ContentLength is { } declared && declared > maxBody)
        {
            throw tooLarge();
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBody;
        }
    }

    private static MultipartReader Multipart(HttpRequest request, MediaTypeHeaderValue mediaType)
    {
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Malformed multipart body", "The multipart Content-Type has no boundary.");
        }

        // RFC 2046 allows 1 to 70 characters; MultipartReader throws (a 500) from about 4,090.
        if (boundary.Length > MaxBoundaryLength)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Malformed multipart body", $"The multipart boundary has {boundary.Length} characters; at most {MaxBoundaryLength} are allowed (RFC 2046).");
        }

        return new MultipartReader(boundary, request.Body);
    }

    /// <summary>The part's file name ("" when none) when it is the named form field, else null.</summary>
    private static string? ImagePart(MultipartSection section, string field)
    {
        if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
            || !disposition.Name.Equals(field, StringComparison.Ordinal))
        {
            return null;
        }

        var fileName = disposition.FileName.HasValue ? disposition.FileName.Value : disposition.FileNameStar.Value;
        return string.IsNullOrEmpty(fileName) ? "" : Path.GetFileName(fileName);
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, Func<DomainException> bodyTooLarge, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct);
        }
        catch (Exception ex) when (Translate(ex, bodyTooLarge) is { } problem)
        {
            throw problem;
        }
    }

    /// <summary>
    /// Copies a stream into a pooled buffer of at most <paramref name="maxBytes"/>, growing it as
    /// bytes arrive. The first buffer is at most <see cref="FirstBufferBytes"/> whatever the
    /// declared length, so a slow sender declaring 20 MB pins 256 KB, not 20 MB; once that much
    /// has arrived the buffer grows straight to the declared length (one copy), else doubles.
    /// </summary>
    private static async Task<UploadedImage> CopyAsync(Stream body, long maxBytes, long? declared, string? fileName, Func<DomainException> tooLarge, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(Math.Min(declared ?? FirstBufferBytes, FirstBufferBytes), 1024, maxBytes + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var wanted = declared is { } d && d > length ? d + 1 : (long)buffer.Length * 2;
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(wanted, maxBytes + 1));
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
                    throw tooLarge();
                }
            }

            if (length == 0)
            {
                throw Empty();
            }

            // Before anything decodes, stores or logs it: what the photo says about its owner goes.
            var stripped = MetadataSanitizer.StripCounted(buffer.AsSpan(0, length));

            return stripped == 0 ? throw Empty() : new UploadedImage(buffer, stripped, string.IsNullOrEmpty(fileName) ? null : fileName);
        }
        catch (Exception ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (Translate(ex, tooLarge) is { } problem)
            {
                throw problem;
            }

            throw;
        }
    }

    private static DomainException? Translate(Exception ex, Func<DomainException> bodyTooLarge) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => bodyTooLarge(),
        InvalidDataException or IOException => new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Malformed multipart body", ex.Message),
        _ => null,
    };

    private static DomainException ImageTooLarge(long maxBytes) =>
        new(OutcomeKind.TooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", $"Images may be at most {maxBytes} bytes.");

    private static DomainException EachImageTooLarge(long maxBytes) =>
        new(OutcomeKind.TooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", $"Each image may be at most {maxBytes} bytes.");

    private static DomainException Empty() =>
        new(OutcomeKind.InvalidInput, ErrorCodes.EmptyBody, "Empty body", "The request carries no image bytes.");
}
