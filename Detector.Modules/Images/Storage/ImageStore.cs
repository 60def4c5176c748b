using System.Buffers;
using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Encryption;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// The Images contract over the configured backend: computes the content address (the only place
/// images are hashed for storage), seals each image under its tenant's data key, and measures and
/// traces every call by backend. Keys are per tenant, so whether a put finds the blob there already
/// says nothing about other tenants' images: a put of a photo another tenant has takes as long as
/// one of a photo nobody has.
/// </summary>
internal sealed class ImageStore(IImageBackend backend, TenantKeyStore keys) : IImageStore
{
    public StoredImage Describe(ReadOnlyMemory<byte> image) => new(ContentAddress.Of(image.Span), image.Length);

    public async Task<StoredImage> PutAsync(Guid tenantId, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var stored = Describe(image);
        var key = new ImageKey(tenantId, stored.Sha256);
        using var activity = DetectorTelemetry.Source.StartActivity("images.put");
        activity?.SetTag("detector.image_store", backend.Name);
        activity?.SetTag("detector.image_bytes", image.Length);
        var started = Stopwatch.GetTimestamp();
        var blob = ArrayPool<byte>.Shared.Rent(image.Length + BlobCipher.Overhead);
        bool created;
        try
        {
            BlobCipher.Seal(await keys.GetOrCreateAsync(tenantId, cancellationToken), key, image.Span, blob);
            created = await backend.PutAsync(key, blob.AsMemory(0, image.Length + BlobCipher.Overhead), cancellationToken);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ProblemException or TenantKeyDestroyedException))
        {
            ImagesMetrics.Errors.WithLabels(backend.Name, "put").Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw StoreFailure.From(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(blob);
        }

        ImagesMetrics.Seconds.WithLabels(backend.Name, "put").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        ImagesMetrics.Bytes.WithLabels(backend.Name, "written").Inc(image.Length);
        return stored with { Created = created };
    }

    public async Task<byte[]?> GetAsync(Guid tenantId, string sha256, CancellationToken cancellationToken)
    {
        var key = ImageKey.Of(tenantId, sha256);
        using var activity = DetectorTelemetry.Source.StartActivity("images.get");
        activity?.SetTag("detector.image_store", backend.Name);
        var started = Stopwatch.GetTimestamp();
        byte[]? bytes;
        try
        {
            bytes = await ReadAsync(key, cancellationToken);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ArgumentException))
        {
            ImagesMetrics.Errors.WithLabels(backend.Name, "get").Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw ex is System.Security.Cryptography.CryptographicException or ProblemException ? ex : StoreFailure.From(ex);
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

    public Task ForgetTenantAsync(Guid tenantId, CancellationToken cancellationToken) => keys.DestroyAsync(tenantId, cancellationToken);

    public Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken) => keys.TenantIdsAsync(cancellationToken);

    public async Task<TenantImagesErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("images.erase_tenant");
        activity?.SetTag("detector.image_store", backend.Name);
        var blobs = await backend.DeleteTenantAsync(tenantId, cancellationToken);
        // The key last: until its blobs are gone, a retried erase can still find them by tenant.
        var keyRows = await keys.DeleteAsync(tenantId, cancellationToken);
        ImagesMetrics.Deleted.WithLabels(backend.Name).Inc(blobs);
        activity?.SetTag("detector.blobs_deleted", blobs);
        return new TenantImagesErasure(blobs, keyRows);
    }

    public async Task<bool> DeleteAsync(Guid tenantId, string sha256, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("images.delete");
        activity?.SetTag("detector.image_store", backend.Name);
        var deleted = await backend.DeleteAsync(ImageKey.Of(tenantId, sha256), cancellationToken);
        if (deleted)
        {
            ImagesMetrics.Deleted.WithLabels(backend.Name).Inc();
        }

        return deleted;
    }

    /// <summary>The plaintext under the key, or null: missing, or its tenant's key destroyed.</summary>
    private async Task<byte[]?> ReadAsync(ImageKey key, CancellationToken cancellationToken)
    {
        var blob = await backend.GetAsync(key, cancellationToken);
        if (blob is null)
        {
            return null;
        }

        try
        {
            return await ImageBlobs.OpenAsync(keys, key, blob, cancellationToken);
        }
        catch (TenantKeyDestroyedException)
        {
            return null;
        }
    }
}

/// <summary>Opening a blob: sealed ones under the tenant's key, ones stored before encryption as they are (checked against their address).</summary>
internal static class ImageBlobs
{
    public static async Task<byte[]> OpenAsync(TenantKeyStore keys, ImageKey key, byte[] blob, CancellationToken cancellationToken)
    {
        if (!BlobCipher.IsSealed(blob))
        {
            return ContentAddress.Of(blob) == key.Sha256 ? blob : throw new System.Security.Cryptography.CryptographicException($"Image {key} does not hash to its address.");
        }

        var dataKey = await keys.FindAsync(key.Tenant, cancellationToken) ?? throw new System.Security.Cryptography.CryptographicException($"Tenant {key.Tenant} has no image data key.");
        return BlobCipher.Open(dataKey, key, blob);
    }
}

/// <summary>
/// What a caller is told when the backend fails: 507 <c>storage_full</c> when the disk or
/// database is full (nothing was kept; retrying soon will not help), else 503
/// <c>storage_unavailable</c> with Retry-After. Never a 500: a failing store is an operating
/// condition, not a bug.
/// </summary>
internal static class StoreFailure
{
    public static ProblemException From(Exception ex) => IsFull(ex)
        ? new ProblemException(507, ErrorCodes.StorageFull, "Insufficient storage", "The image store is full; the image was not kept.", ex) { RetryAfterSeconds = 60 }
        : new ProblemException(503, ErrorCodes.StorageUnavailable, "Storage unavailable", "The image store did not answer; retry shortly.", ex) { RetryAfterSeconds = 2 };

    /// <summary>ENOSPC (28 on Linux), ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows, PostgreSQL's disk_full.</summary>
    private static bool IsFull(Exception? ex) => ex switch
    {
        null => false,
        IOException io when io.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) => true,
        Npgsql.PostgresException { SqlState: "53100" } => true,
        _ => IsFull(ex.InnerException),
    };
}
