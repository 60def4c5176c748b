using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// The Images contract over the configured backend: computes the content address (the only place
/// images are hashed for storage), and measures and traces every call by backend.
/// </summary>
internal sealed class ImageStore(IImageBackend backend) : IImageStore
{
    public async Task<StoredImage> PutAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var stored = new StoredImage(ContentAddress.Of(image.Span), image.Length);
        using var activity = DetectorTelemetry.Source.StartActivity("images.put");
        activity?.SetTag("detector.image_store", backend.Name);
        activity?.SetTag("detector.image_bytes", image.Length);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await backend.PutAsync(stored.Sha256, image, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ImagesMetrics.Errors.WithLabels(backend.Name, "put").Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }

        ImagesMetrics.Seconds.WithLabels(backend.Name, "put").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        ImagesMetrics.Bytes.WithLabels(backend.Name, "written").Inc(image.Length);
        return stored;
    }

    public async Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("images.get");
        activity?.SetTag("detector.image_store", backend.Name);
        var started = Stopwatch.GetTimestamp();
        byte[]? bytes;
        try
        {
            bytes = await backend.GetAsync(sha256, cancellationToken);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ArgumentException))
        {
            ImagesMetrics.Errors.WithLabels(backend.Name, "get").Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }

        ImagesMetrics.Seconds.WithLabels(backend.Name, "get").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        if (bytes is null)
        {
            ImagesMetrics.Misses.WithLabels(backend.Name).Inc();
        }
        else
        {
            ImagesMetrics.Bytes.WithLabels(backend.Name, "read").Inc(bytes.Length);
        }

        return bytes;
    }
}
