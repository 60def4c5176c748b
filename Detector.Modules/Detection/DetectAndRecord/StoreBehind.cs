using System.Collections.Concurrent;
using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>
/// Stores sync photos behind their answers (ADR 0016). A put starts with the detection, as
/// before; if it is still running when the detection is done, the result is saved
/// <c>pending</c> and answered, and the put settles it afterwards: <c>stored</c>, or
/// <c>not_stored</c> with <c>store_failed</c>. The upload's buffer is leased until then, the bytes
/// in flight are bounded (<see cref="DetectApiOptions.StoreBehindMaxBytes"/>), and at shutdown the
/// host waits for the puts still running; a put cut off by a kill is found by
/// <see cref="PendingImageSweep"/>.
/// </summary>
internal sealed partial class StoreBehind(
    IImageStore images,
    IResultImageStorage storage,
    UnheldImages unheld,
    IOptions<DetectApiOptions> options,
    ILogger<StoreBehind> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Task, byte> _settling = new();
    private long _bytes;

    /// <summary>
    /// Starts the put. With an <paramref name="upload"/> and room in the budget it may finish after
    /// the answer (bounded by its own timeout, not the request); otherwise it is the request's.
    /// </summary>
    public Put Start(Guid tenantId, ReadOnlyMemory<byte> image, UploadedImage? upload, CancellationToken requestToken)
    {
        var reserved = upload is not null && TryReserve(image.Length);
        var timeout = reserved ? new CancellationTokenSource(TimeSpan.FromSeconds(options.Value.StoreBehindTimeoutSeconds)) : null;
        var token = timeout?.Token ?? requestToken;

        // On the thread pool: the put hashes and seals before its first await, which would
        // otherwise delay the detection by as much (about 5 ms for 3 MB).
        var task = Task.Run(() => images.PutAsync(tenantId, image, token), CancellationToken.None);
        return new Put(this, task, reserved ? image.Length : 0, reserved ? upload!.Lease() : null, timeout);
    }

    /// <summary>
    /// A detection that failed keeps nothing: the image its put created is deleted again, unless a
    /// result or a waiting job item of the tenant holds it meanwhile. An image the tenant had
    /// before stays.
    /// </summary>
    public async Task ForgetAsync(Put put, Guid tenantId)
    {
        ArgumentNullException.ThrowIfNull(put);

        // A put still running behind is stopped rather than waited for (a slow store must not
        // hold the failure's answer), and awaited so that what it wrote is gone before the
        // caller goes on: a request deferred to a job stores the same bytes next.
        put.Cancel();
        try
        {
            var stored = await put.Task;
            if (stored.Created)
            {
                await unheld.RemoveAsync(tenantId, stored.Sha256, CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away while the put ran: a cancelled put wrote nothing (or a whole blob
            // no result names, which the same tenant's next upload of it reuses).
        }
        catch (Exception ex)
        {
            // The put itself failed (nothing stored: backends write whole blobs or nothing), or the
            // delete failed: then the warning names the tenant for an operator.
            LogForgetFailed(logger, tenantId, ex);
        }
        finally
        {
            put.Release();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits (within the host's shutdown timeout) for the puts still settling results.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var left = _settling.Keys.ToArray();
        if (left.Length == 0)
        {
            return;
        }

        LogDraining(logger, left.Length);
        try
        {
            await Task.WhenAll(left).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Out of time: the sweep marks what did not finish as interrupted.
        }
    }

    private bool TryReserve(int bytes)
    {
        var max = options.Value.StoreBehindMaxBytes;
        while (true)
        {
            var current = Interlocked.Read(ref _bytes);
            if (current + bytes > max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _bytes, current + bytes, current) == current)
            {
                DetectionMetrics.BehindBytes.Inc(bytes);
                return true;
            }
        }
    }

    private void Unreserve(int bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        DetectionMetrics.BehindBytes.Dec(bytes);
    }

    private void Track(Task settling)
    {
        _settling.TryAdd(settling, 0);
        settling.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, byte>)s!).TryRemove(t, out _), _settling, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task SettleAsync(Put put, Guid tenantId, Guid resultId)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("detect.store_behind");
        activity?.SetTag("detector.result_id", resultId);
        try
        {
            StoredImage stored;
            try
            {
                stored = await put.Task;
            }
            catch (Exception ex)
            {
                DetectionMetrics.Puts.WithLabels("store_failed").Inc();
                LogStoreFailed(logger, tenantId, resultId, ex);
                await storage.SettleAsync(tenantId, resultId, ImageStorage.StoreFailed, CancellationToken.None);
                return;
            }

            if (await storage.SettleAsync(tenantId, resultId, ImageStorage.Stored, CancellationToken.None))
            {
                DetectionMetrics.Puts.WithLabels("stored").Inc();
                return;
            }

            // The result was deleted, never saved (its request failed after the detection), or
            // marked interrupted meanwhile: what this put created goes again.
            if (stored.Created)
            {
                await unheld.RemoveAsync(tenantId, stored.Sha256, CancellationToken.None);
            }

            DetectionMetrics.Puts.WithLabels("orphaned").Inc();
        }
        catch (Exception ex)
        {
            // The database failed while settling: the result stays pending until the sweep marks
            // it interrupted (and removes the image if nothing else holds it).
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            LogSettleFailed(logger, tenantId, resultId, ex);
        }
        finally
        {
            put.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId}: the photo of result {ResultId} was not stored after its answer; the result says not_stored (store_failed)")]
    private static partial void LogStoreFailed(ILogger logger, Guid tenantId, Guid resultId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId}: the image state of result {ResultId} could not be settled; the pending-image sweep will")]
    private static partial void LogSettleFailed(ILogger logger, Guid tenantId, Guid resultId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId}: the image of a failed detection was not removed at once")]
    private static partial void LogForgetFailed(ILogger logger, Guid tenantId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: waiting for {Count} photo(s) still being stored after their answers")]
    private static partial void LogDraining(ILogger logger, int count);

    /// <summary>One put in flight: awaited by the request, or settled behind its answer.</summary>
    internal sealed class Put(StoreBehind owner, Task<StoredImage> task, int reservedBytes, IDisposable? lease, CancellationTokenSource? timeout)
    {
        private int _released;

        public Task<StoredImage> Task { get; } = task;

        /// <summary>True when the answer need not wait for it.</summary>
        public bool MayFinishBehind => reservedBytes > 0;

        /// <summary>Settles <paramref name="resultId"/> (saved pending, or not saved at all) once the put ends.</summary>
        public void SettleBehind(Guid tenantId, Guid resultId) => owner.Track(owner.SettleAsync(this, tenantId, resultId));

        /// <summary>Stops a put that runs on its own timeout (one that runs on the request's token is the request's).</summary>
        public void Cancel()
        {
            if (Volatile.Read(ref _released) == 0)
            {
                timeout?.Cancel();
            }
        }

        /// <summary>Hands back the buffer lease, the budget and the timer; once.</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1)
            {
                return;
            }

            lease?.Dispose();
            timeout?.Dispose();
            if (reservedBytes > 0)
            {
                owner.Unreserve(reservedBytes);
            }
        }
    }
}
