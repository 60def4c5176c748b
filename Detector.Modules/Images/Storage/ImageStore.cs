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
internal sealed class ImageStore(IImageBackend backend, TenantKeyStore keys, ImageIndex index, TimeProvider time, IEnumerable<IImageDeletionListener> deletionListeners, IEnumerable<IImageReferences> references) : IImageStore
{
    private readonly IImageDeletionListener[] _deletionListeners = [.. deletionListeners];
    private readonly IImageReferences[] _references = [.. references];

    public StoredImage Describe(ReadOnlyMemory<byte> image) => new(ContentAddress.Of(image.Span), image.Length);

    public Task<StoredImage> PutAsync(Guid tenantId, ReadOnlyMemory<byte> image, CancellationToken cancellationToken) =>
        PutAsync(tenantId, image, Describe(image), cancellationToken);

    public async Task<StoredImage> PutAsync(Guid tenantId, ReadOnlyMemory<byte> image, StoredImage described, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(described);
        if (described.Length != image.Length)
        {
            throw new ArgumentException("The description is of other bytes.", nameof(described));
        }

        var stored = described with { Created = false };
        var key = new ImageKey(tenantId, stored.Sha256);
        using var activity = DetectorTelemetry.Source.StartActivity("images.put");
        activity?.SetTag("detector.image_store", backend.Name);
        activity?.SetTag("detector.image_bytes", image.Length);
        var started = Stopwatch.GetTimestamp();
        var blob = ArrayPool<byte>.Shared.Rent(image.Length + BlobCipher.Overhead);
        bool created;
        try
        {
            var dataKey = await keys.GetOrCreateAsync(tenantId, cancellationToken);
            // Touched before the blob is written: an orphan sweep deciding on these bytes holds the
            // index row's lock, so this waits for it to finish, and once touched the sweep leaves
            // them alone for its grace period. No row is written for a tenant erased since its key
            // was cached here (on any instance): the put stops before sealing anything.
            if (!await index.TouchAsync(key, time.GetUtcNow(), cancellationToken))
            {
                throw new TenantKeyDestroyedException(tenantId);
            }

            BlobCipher.Seal(dataKey, key, image.Span, blob);
            created = await backend.PutAsync(key, blob.AsMemory(0, image.Length + BlobCipher.Overhead), cancellationToken);
            if (!await index.ConfirmAsync(key, time.GetUtcNow(), cancellationToken))
            {
                // Erased while the blob was written (after the erase removed the tenant's blobs,
                // perhaps): what this put wrote goes again, so nothing of the tenant outlives it.
                await backend.DeleteAsync(key, CancellationToken.None);
                throw new TenantKeyDestroyedException(tenantId);
            }
        }
        catch (TenantKeyDestroyedException ex)
        {
            keys.Forget(tenantId);
            throw new DomainException(OutcomeKind.Forbidden, ErrorCodes.TenantDisabled, "Tenant disabled", "The tenant was erased: nothing more of it is stored.", ex);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or DomainException))
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
            throw ex is System.Security.Cryptography.CryptographicException or DomainException ? ex : StoreFailure.From(ex);
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

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken) =>
        [.. (await keys.TenantIdsAsync(cancellationToken)).Union(await index.TenantIdsAsync(cancellationToken))];

    public async Task<TenantImagesErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("images.erase_tenant");
        activity?.SetTag("detector.image_store", backend.Name);
        // The key first: from its commit on, no put of the tenant on any instance stores anything
        // (a put in flight removes what it wrote). The index last: until it goes, a retried erase
        // and the orphan sweep still find the tenant.
        var keyRows = await keys.EraseAsync(tenantId, cancellationToken);
        long blobs;
        try
        {
            blobs = await backend.DeleteTenantAsync(tenantId, cancellationToken);
        }
        catch (TenantEraseIncompleteException ex)
        {
            // Loud: the admin's erase answers what is left; the tenant is still found, so it is run again.
            ImagesMetrics.Errors.WithLabels(backend.Name, "erase").Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw new DomainException(OutcomeKind.Unavailable, ErrorCodes.StorageUnavailable, "Erase incomplete", ex.Message, ex) { RetryAfterSeconds = 60 };
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or DomainException))
        {
            ImagesMetrics.Errors.WithLabels(backend.Name, "erase").Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw StoreFailure.From(ex);
        }

        await index.RemoveTenantAsync(tenantId, cancellationToken);
        ImagesMetrics.Deleted.WithLabels(backend.Name).Inc(blobs);
        activity?.SetTag("detector.blobs_deleted", blobs);
        return new TenantImagesErasure(blobs, keyRows);
    }

    public async Task<bool> DeleteAsync(Guid tenantId, string sha256, CancellationToken cancellationToken)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("images.delete");
        activity?.SetTag("detector.image_store", backend.Name);
        var key = ImageKey.Of(tenantId, sha256);
        // Before the bytes go: what keeps the image beyond the orphan sweep's reach lets go of it
        // first, and if that fails the image is still there for the delete's retry.
        foreach (var listener in _deletionListeners)
        {
            await listener.ImageDeletingAsync(tenantId, key.Sha256, cancellationToken);
        }

        var deleted = await backend.DeleteAsync(key, cancellationToken);
        await index.RemoveAsync(key, cancellationToken);
        if (deleted)
        {
            ImagesMetrics.Deleted.WithLabels(backend.Name).Inc();
        }

        return deleted;
    }

    public async Task<UnheldDeletion> DeleteUnheldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken, IImageReferences? except = null)
    {
        var distinct = sha256s.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0)
        {
            return new UnheldDeletion(0, 0);
        }

        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var holder in _references.Where(r => !ReferenceEquals(r, except)))
        {
            held.UnionWith(await holder.HeldAsync(tenantId, distinct, cancellationToken));
        }

        var deleted = 0;
        foreach (var sha256 in distinct.Where(s => !held.Contains(s)))
        {
            deleted += await DeleteAsync(tenantId, sha256, cancellationToken) ? 1 : 0;
        }

        return new UnheldDeletion(deleted, distinct.Count(held.Contains));
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

        // No key: the tenant was erased (or never had one), and nothing can open its blob.
        var dataKey = await keys.FindAsync(key.Tenant, cancellationToken) ?? throw new TenantKeyDestroyedException(key.Tenant);
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
    public static DomainException From(Exception ex) => IsFull(ex)
        ? new DomainException(OutcomeKind.StorageFull, ErrorCodes.StorageFull, "Insufficient storage", "The image store is full; the image was not kept.", ex) { RetryAfterSeconds = 60 }
        : new DomainException(OutcomeKind.Unavailable, ErrorCodes.StorageUnavailable, "Storage unavailable", "The image store did not answer; retry shortly.", ex) { RetryAfterSeconds = 2 };

    /// <summary>ENOSPC (28 on Linux), ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows, PostgreSQL's disk_full.</summary>
    private static bool IsFull(Exception? ex) => ex switch
    {
        null => false,
        IOException io when io.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) => true,
        Npgsql.PostgresException { SqlState: "53100" } => true,
        _ => IsFull(ex.InnerException),
    };
}
