using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Detector.Modules.Images.Storage.S3;

/// <summary>
/// The S3 backend: blobs as objects <c>prefix/&lt;tenant&gt;/ab/&lt;sha256&gt;</c> in one bucket of an
/// S3-compatible store, so every instance in the region reads what any stored. Objects are
/// immutable (a key is its content's hash), so every call is idempotent and retried whole through
/// the resilience pipeline; images from <see cref="S3StoreOptions.MultipartThresholdBytes"/> up go
/// in parts, each retried alone, and an upload that fails is aborted so no parts are left billed.
/// The caller's buffer is sent as it is (no copy), and a read fills the one array it returns.
/// </summary>
internal sealed class S3ImageStore(IAmazonS3 client, IOptions<ImageStoreOptions> options, ResiliencePipelineProvider<string> pipelines) : IImageBackend
{
    private const int PartsInFlight = 4;
    private readonly S3StoreOptions _s3 = options.Value.S3;
    private readonly ResiliencePipeline _pipeline = pipelines.GetPipeline(S3Resilience.PipelineName);
    private readonly S3Prefixes _prefixes = new(client, options.Value.S3, pipelines.GetPipeline(S3Resilience.PipelineName));

    public string Name => "s3";

    public async Task<bool> PutAsync(ImageKey imageKey, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        // Asked first whatever the size: a blob already there is not sent again, and the answer
        // tells the caller whether this put created it (a sync request's put runs beside its
        // detection, so the round trip is hidden).
        if (await ExistsAsync(imageKey, cancellationToken))
        {
            return false;
        }

        await WriteAsync(KeyFor(imageKey), image, cancellationToken);
        return true;
    }

    /// <summary>An S3 write replaces the object whole: readers see the old or the new blob, never a mix.</summary>
    public async Task<bool> ReplaceAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(key, cancellationToken))
        {
            return false;
        }

        await WriteAsync(KeyFor(key), blob, cancellationToken);
        return true;
    }

    private async Task WriteAsync(string key, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        if (image.Length >= _s3.MultipartThresholdBytes)
        {
            await PutInPartsAsync(key, image, cancellationToken);
            return;
        }

        // The store verifies the bytes it received; hashed once, not on every retry.
        var checksum = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(image.Span));
        await _pipeline.ExecuteAsync(async ct =>
        {
            using var body = ReadOnlyStream(image);
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _s3.Bucket,
                Key = key,
                InputStream = body,
                AutoCloseStream = false,
                ContentType = "application/octet-stream",
                // A plain body, not aws-chunked: several S3-compatible servers store the chunk framing as data.
                UseChunkEncoding = false,
                ChecksumSHA256 = checksum,
            }, ct);
        }, cancellationToken);
    }

    public async Task<byte[]?> GetAsync(ImageKey imageKey, CancellationToken cancellationToken)
    {
        var key = KeyFor(imageKey);
        return await _pipeline.ExecuteAsync(async ct =>
        {
            try
            {
                using var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = _s3.Bucket, Key = key }, ct);
                if (response.ContentLength < 0)
                {
                    // No length (a chunked answer from some S3-compatible servers): read it as it comes.
                    using var unknown = new MemoryStream();
                    await response.ResponseStream.CopyToAsync(unknown, ct);
                    return unknown.ToArray();
                }

                var bytes = new byte[checked((int)response.ContentLength)];
                await response.ResponseStream.ReadExactlyAsync(bytes, ct);
                return bytes;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);
    }

    public async Task<bool> DeleteAsync(ImageKey imageKey, CancellationToken cancellationToken)
    {
        // S3 answers 204 whether or not the object existed: ask first (deletes are rare).
        if (!await ExistsAsync(imageKey, cancellationToken))
        {
            return false;
        }

        var key = KeyFor(imageKey);
        await _pipeline.ExecuteAsync(
            async ct => await client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _s3.Bucket, Key = key }, ct),
            cancellationToken);
        return true;
    }

    /// <summary>A multipart upload whose process died between its parts is billed until aborted.</summary>
    public Task<int> SweepStraysAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) =>
        _prefixes.AbortUploadsAsync(_s3.Prefix, upload => upload.Initiated is { } initiated && initiated.ToUniversalTime() < olderThan.UtcDateTime, cancellationToken);

    /// <summary>Every object under the tenant's prefix (images and strays alike) and its unfinished multipart uploads.</summary>
    public Task<long> DeleteTenantAsync(Guid tenant, CancellationToken cancellationToken) => _prefixes.EraseAsync(tenant, $"{_s3.Prefix}{tenant:N}/", cancellationToken);

    public async Task<bool> HasTenantBlobsAsync(Guid tenant, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = $"{_s3.Prefix}{tenant:N}/", MaxKeys = 1 };
        var page = await _pipeline.ExecuteAsync(async ct => await client.ListObjectsV2Async(request, ct), cancellationToken);
        return page.S3Objects is { Count: > 0 };
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        // The bucket with these credentials, not just the endpoint: listing one key proves both.
        await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = _s3.Prefix, MaxKeys = 1 }, cancellationToken);
    }

    public async IAsyncEnumerable<ImageKey> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = _s3.Prefix, ContinuationToken = continuation, MaxKeys = 1000 };
            var page = await _pipeline.ExecuteAsync(async ct => await client.ListObjectsV2Async(request, ct), cancellationToken);
            foreach (var entry in page.S3Objects ?? [])
            {
                // <tenant:N>/ab/<sha256>: 32 + 1 + 2 + 1 + 64 characters.
                var name = entry.Key[_s3.Prefix.Length..];
                if (name.Length == 100 && name[32] == '/' && name[35] == '/' && Guid.TryParseExact(name[..32], "N", out var tenant)
                    && ContentAddress.IsValid(name[36..]) && name[33..35] == name[36..38])
                {
                    yield return new ImageKey(tenant, name[36..]);
                }
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    private string KeyFor(ImageKey key)
    {
        ContentAddress.Validate(key.Sha256);
        return $"{_s3.Prefix}{key.Tenant:N}/{key.Sha256[..2]}/{key.Sha256}";
    }

    private async Task<bool> ExistsAsync(ImageKey imageKey, CancellationToken cancellationToken)
    {
        var key = KeyFor(imageKey);
        return await _pipeline.ExecuteAsync(async ct =>
        {
            try
            {
                await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _s3.Bucket, Key = key }, ct);
                return true;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        }, cancellationToken);
    }

    private async Task PutInPartsAsync(string key, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var upload = await _pipeline.ExecuteAsync(
            async ct => await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _s3.Bucket, Key = key, ContentType = "application/octet-stream" }, ct),
            cancellationToken);
        try
        {
            var partSize = (int)_s3.PartBytes;
            var count = (image.Length + partSize - 1) / partSize;
            var parts = new PartETag[count];
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = PartsInFlight, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var slice = image.Slice(i * partSize, Math.Min(partSize, image.Length - (i * partSize)));
                var response = await _pipeline.ExecuteAsync(async attempt =>
                {
                    using var body = ReadOnlyStream(slice);
                    return await client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = _s3.Bucket,
                        Key = key,
                        UploadId = upload.UploadId,
                        PartNumber = i + 1,
                        InputStream = body,
                        PartSize = slice.Length,
                        UseChunkEncoding = false,
                    }, attempt);
                }, ct);
                parts[i] = new PartETag(i + 1, response.ETag);
                ImagesMetrics.Parts.WithLabels(Name).Inc();
            });

            await _pipeline.ExecuteAsync(
                async ct => await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _s3.Bucket, Key = key, UploadId = upload.UploadId, PartETags = [.. parts] }, ct),
                cancellationToken);
        }
        catch
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _s3.Bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None);
            throw;
        }
    }

    /// <summary>A read-only stream over the caller's bytes: no copy when they live in an array (uploads do).</summary>
    private static MemoryStream ReadOnlyStream(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
}
