using Amazon.S3;
using Amazon.S3.Model;
using Polly;

namespace Detector.Modules.Images.Storage.S3;

/// <summary>
/// What lies under a key prefix of the S3 backend as a whole: erasing a tenant's objects (with
/// per-key errors counted and retried a bounded number of times) and aborting unfinished
/// multipart uploads.
/// </summary>
internal sealed class S3Prefixes(IAmazonS3 client, S3StoreOptions s3, ResiliencePipeline pipeline)
{
    /// <summary>
    /// Deletes every object under the tenant's <paramref name="prefix"/> and aborts its unfinished
    /// multipart uploads (their parts are stored, and billed, until aborted); returns how many
    /// objects went, or throws <see cref="TenantEraseIncompleteException"/>.
    /// </summary>
    public async Task<long> EraseAsync(Guid tenant, string prefix, CancellationToken cancellationToken)
    {
        await AbortUploadsAsync(prefix, _ => true, cancellationToken);
        long deleted = 0;
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        // Each pass lists what is left and deletes it; an object a pass could not delete is tried
        // again by the next, until a pass finds nothing. Bounded: a key the store keeps refusing
        // (or keeps listing after deleting it) fails the erase after EraseRetries more passes (it
        // is run again later) instead of being listed and refused forever.
        for (var pass = 0; ; pass++)
        {
            failures.Clear();
            var listed = 0;
            string? continuation = null;
            do
            {
                var request = new ListObjectsV2Request { BucketName = s3.Bucket, Prefix = prefix, ContinuationToken = continuation, MaxKeys = 1000 };
                var page = await pipeline.ExecuteAsync(async ct => await client.ListObjectsV2Async(request, ct), cancellationToken);
                if (page.S3Objects is { Count: > 0 } objects)
                {
                    listed += objects.Count;
                    deleted += await DeleteBatchAsync(objects.Select(o => o.Key).ToList(), failures, cancellationToken);
                }

                continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
            }
            while (continuation is not null);

            if (listed == 0)
            {
                return deleted;
            }

            if (pass == s3.EraseRetries)
            {
                var (count, first) = failures.Count > 0 ? (failures.Count, failures.First().Value) : (listed, "listed again after being deleted");
                throw new TenantEraseIncompleteException(tenant, count, pass + 1, first);
            }

            if (failures.Count > 0)
            {
                await Task.Delay(Common.Resilience.Backoff.Exponential(pass + 1, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5)), cancellationToken);
            }
        }
    }

    /// <summary>Deletes one listed page; records the keys the store refused (per-key errors) with their error codes; returns how many went.</summary>
    private async Task<int> DeleteBatchAsync(List<string> keys, Dictionary<string, string> failures, CancellationToken cancellationToken)
    {
        var batch = new DeleteObjectsRequest { BucketName = s3.Bucket, Objects = keys.Select(k => new KeyVersion { Key = k }).ToList() };
        List<DeleteError> errors;
        try
        {
            var response = await pipeline.ExecuteAsync(async ct => await client.DeleteObjectsAsync(batch, ct), cancellationToken);
            errors = response.DeleteErrors ?? [];
        }
        catch (DeleteObjectsException ex)
        {
            // The SDK turns an answer with per-key errors into this exception; the rest of the batch went.
            errors = ex.Response?.DeleteErrors ?? [.. keys.Select(k => new DeleteError { Key = k, Code = ex.ErrorCode ?? "DeleteObjectsException" })];
        }

        foreach (var error in errors)
        {
            failures[error.Key] = $"{error.Code}: {error.Message}";
        }

        return keys.Count - errors.Count;
    }

    /// <summary>Aborts the unfinished multipart uploads under <paramref name="prefix"/> that <paramref name="abort"/> picks; returns how many.</summary>
    public async Task<int> AbortUploadsAsync(string prefix, Func<MultipartUpload, bool> abort, CancellationToken cancellationToken)
    {
        var removed = 0;
        // (Also set a bucket lifecycle rule AbortIncompleteMultipartUpload: it covers stores this cannot list.)
        var request = new ListMultipartUploadsRequest { BucketName = s3.Bucket, Prefix = prefix };
        while (true)
        {
            ListMultipartUploadsResponse page;
            try
            {
                page = await pipeline.ExecuteAsync(async ct => await client.ListMultipartUploadsAsync(request, ct), cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NotImplemented")
            {
                return removed; // some S3-compatible stores (s3rver) cannot list uploads; their lifecycle rules must do it
            }

            foreach (var upload in (page.MultipartUploads ?? []).Where(abort))
            {
                await pipeline.ExecuteAsync(
                    async ct => await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = s3.Bucket, Key = upload.Key, UploadId = upload.UploadId }, ct),
                    cancellationToken);
                removed++;
            }

            if (page.IsTruncated != true)
            {
                return removed;
            }

            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }
}
