using System.Security.Cryptography;
using Detector.Modules.Common;
using Detector.Modules.Ingestion.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.Storage;
using FluentValidation;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Jobs.SubmitJob;

internal static class SubmitJobEndpoint
{
    private const int MultipartOverheadPerImage = 4096;

    public static async Task<Accepted<JobAccepted>> Handle(
        [AsParameters] SubmitJobRequest query,
        HttpContext http,
        JobSubmitter submitter,
        IImageStore images,
        IValidator<SubmitJobRequest> validator,
        IOptions<JobsOptions> options,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();
        var limits = options.Value;
        var contentType = http.Request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", "Send multipart/form-data with repeated 'images' fields, or application/json with 'urls'.");
        }

        SubmitJobRequest settings;
        List<NewItem> items;
        string source;
        if (mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            settings = query;
            items = await ReadUploadsAsync(http.Request, mediaType, images, limits, ct);
            source = "upload";
        }
        else if (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            var body = await ReadJsonAsync(http.Request, json.Value.SerializerOptions, ct);
            settings = new SubmitJobRequest
            {
                Model = body.Model ?? query.Model,
                MinScore = body.MinScore ?? query.MinScore,
                Iou = body.Iou ?? query.Iou,
                MaxDetections = body.MaxDetections ?? query.MaxDetections,
                CallbackUrl = body.CallbackUrl ?? query.CallbackUrl,
                Priority = body.Priority ?? query.Priority,
            };
            var validation = await validator.ValidateAsync(settings, ct);
            if (!validation.IsValid)
            {
                throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", string.Join(" ", validation.Errors.Select(e => e.ErrorMessage)));
            }

            items = UrlItems(body.Urls, limits);
            source = "urls";
        }
        else
        {
            throw new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type", $"Content-Type '{mediaType.MediaType}' is not accepted. Send multipart/form-data with repeated 'images' fields, or application/json with 'urls'.");
        }

        var job = new NewJob(
            Guid.CreateVersion7(),
            tenantId,
            source,
            settings.Priority ?? "normal",
            settings.Model,
            settings.MinScore,
            settings.Iou,
            settings.MaxDetections,
            settings.CallbackUrl,
            $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}");
        var accepted = await submitter.CreateAsync(job, items, ct);
        return TypedResults.Accepted(accepted.StatusUrl, accepted);
    }

    private static async Task<SubmitJobBody> ReadJsonAsync(HttpRequest request, System.Text.Json.JsonSerializerOptions options, CancellationToken ct)
    {
        try
        {
            return await request.ReadFromJsonAsync<SubmitJobBody>(options, ct)
                ?? throw new ProblemException(400, ErrorCodes.EmptyBody, "Empty body", "The JSON body is null.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed JSON", ex.Message);
        }
    }

    private static List<NewItem> UrlItems(IList<string>? urls, JobsOptions limits)
    {
        if (urls is null || urls.Count == 0)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", "urls must list at least one image URL.");
        }

        if (urls.Count > limits.MaxImagesPerJob)
        {
            throw TooMany(limits.MaxImagesPerJob);
        }

        var items = new List<NewItem>(urls.Count);
        for (var i = 0; i < urls.Count; i++)
        {
            if (!SubmitJobValidator.BeFetchable(urls[i]))
            {
                throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", $"urls[{i}] must be an absolute http or https URL of at most 2048 characters, without credentials.");
            }

            items.Add(new NewItem(i, null, urls[i], null));
        }

        return items;
    }

    /// <summary>
    /// Streams each 'images' part into the content-addressed store as it arrives (so memory holds
    /// one image at a time), enforcing the per-image, per-job count and total byte limits.
    /// </summary>
    private static async Task<List<NewItem>> ReadUploadsAsync(HttpRequest request, MediaTypeHeaderValue mediaType, IImageStore images, JobsOptions limits, CancellationToken ct)
    {
        var maxBody = limits.MaxTotalBytes + ((long)limits.MaxImagesPerJob * MultipartOverheadPerImage);
        if (request.ContentLength is { } declared && declared > maxBody)
        {
            throw new ProblemException(413, ErrorCodes.PayloadTooLarge, "Payload too large", $"A job may upload at most {limits.MaxTotalBytes} bytes of images.");
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBody;
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed multipart body", "The multipart Content-Type has no boundary.");
        }

        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limits.MaxImageBytes + 1 };
        var items = new List<NewItem>();
        long total = 0;
        var buffer = new MemoryStream();
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !(disposition.Name.Equals("images", StringComparison.Ordinal) || disposition.Name.Equals("image", StringComparison.Ordinal)))
                {
                    continue;
                }

                if (items.Count == limits.MaxImagesPerJob)
                {
                    throw TooMany(limits.MaxImagesPerJob);
                }

                buffer.SetLength(0);
                await CopyCappedAsync(section.Body, buffer, limits.MaxImageBytes, ct);
                if (buffer.Length == 0)
                {
                    throw new ProblemException(400, ErrorCodes.EmptyBody, "Empty image", $"images[{items.Count}] carries no bytes.");
                }

                total += buffer.Length;
                if (total > limits.MaxTotalBytes)
                {
                    throw new ProblemException(413, ErrorCodes.PayloadTooLarge, "Payload too large", $"A job may upload at most {limits.MaxTotalBytes} bytes of images.");
                }

                var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
                var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
                await images.PutAsync(sha256, bytes, ct);
                var fileName = disposition.FileName.HasValue ? disposition.FileName.Value : disposition.FileNameStar.Value;
                items.Add(new NewItem(items.Count, string.IsNullOrEmpty(fileName) ? null : Path.GetFileName(fileName), null, sha256));
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ProblemException(413, ErrorCodes.PayloadTooLarge, "Payload too large", $"A job may upload at most {limits.MaxTotalBytes} bytes of images.");
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw ImageTooLarge(limits.MaxImageBytes);
        }
        catch (InvalidDataException ex)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed multipart body", ex.Message);
        }
        catch (IOException ex)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Malformed multipart body", ex.Message);
        }

        if (items.Count == 0)
        {
            throw new ProblemException(400, ErrorCodes.MissingImageField, "Missing images", "The multipart body has no 'images' field.");
        }

        return items;
    }

    private static async Task CopyCappedAsync(Stream source, MemoryStream destination, long max, CancellationToken ct)
    {
        var chunk = new byte[81920];
        while (true)
        {
            var read = await source.ReadAsync(chunk, ct);
            if (read == 0)
            {
                return;
            }

            if (destination.Length + read > max)
            {
                throw ImageTooLarge(max);
            }

            destination.Write(chunk, 0, read);
        }
    }

    private static ProblemException ImageTooLarge(long max) =>
        new(413, ErrorCodes.PayloadTooLarge, "Payload too large", $"Each image may be at most {max} bytes.");

    private static ProblemException TooMany(int max) =>
        new(413, ErrorCodes.TooManyImages, "Too many images", $"A job may carry at most {max} images.");
}
