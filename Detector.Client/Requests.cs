namespace Detector.Client;

/// <summary>A photo to upload: its bytes, the file name the service records, and its media type.</summary>
public sealed record ImageUpload(ReadOnlyMemory<byte> Bytes, string FileName, string ContentType = "application/octet-stream")
{
    /// <summary>Reads a file; the media type follows its extension (the service sniffs the bytes either way).</summary>
    public static async Task<ImageUpload> FromFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var type = Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".JPG" or ".JPEG" => "image/jpeg",
            ".PNG" => "image/png",
            ".WEBP" => "image/webp",
            ".GIF" => "image/gif",
            ".BMP" => "image/bmp",
            _ => "application/octet-stream",
        };
        return new ImageUpload(bytes, Path.GetFileName(path), type);
    }
}

/// <summary>Options of one <c>POST /v1/detect</c>; null leaves the service's default.</summary>
public sealed record DetectOptions
{
    /// <summary>A model name from <c>GET /v1/models</c>, or <c>name@version</c> / <c>name@alias</c>.</summary>
    public string? Model { get; init; }

    /// <summary>Smallest score returned, 0..1 (service default 0.25).</summary>
    public float? MinScore { get; init; }

    /// <summary>IoU above which NMS suppresses a same-class box, 0..1 (service default 0.45).</summary>
    public float? Iou { get; init; }

    /// <summary>Most boxes returned, 1..1000 (service default 100).</summary>
    public int? MaxDetections { get; init; }

    /// <summary>false: the requested model or a refusal, never a cheaper stand-in under load.</summary>
    public bool? AllowDegradation { get; init; }

    /// <summary>true: each detection also carries its calibrated score, when the version has a calibration.</summary>
    public bool? Calibrated { get; init; }

    /// <summary>The caller's user or device, so a split model (canary, A/B) always serves it the same variant.</summary>
    public string? SubjectId { get; init; }

    /// <summary>The Idempotency-Key to send; by default a new one per call, reused by that call's retries.</summary>
    public string? IdempotencyKey { get; init; }
}

/// <summary>Options of one <c>POST /v1/jobs</c>; null leaves the service's default.</summary>
public sealed record JobOptions
{
    /// <inheritdoc cref="DetectOptions.Model"/>
    public string? Model { get; init; }

    /// <inheritdoc cref="DetectOptions.MinScore"/>
    public float? MinScore { get; init; }

    /// <inheritdoc cref="DetectOptions.Iou"/>
    public float? Iou { get; init; }

    /// <inheritdoc cref="DetectOptions.MaxDetections"/>
    public int? MaxDetections { get; init; }

    /// <summary>An http(s) URL that gets a signed POST when the job finishes (needs a webhook secret).</summary>
    public string? CallbackUrl { get; init; }

    /// <summary><c>high</c>, <c>normal</c> (default) or <c>low</c>, as the tenant's plan allows.</summary>
    public string? Priority { get; init; }

    /// <inheritdoc cref="DetectOptions.IdempotencyKey"/>
    public string? IdempotencyKey { get; init; }
}
