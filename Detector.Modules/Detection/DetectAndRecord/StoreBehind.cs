using System.Collections.Concurrent;
using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>
/// The puts of sync photos (ADR 0016). While the store is healthy and the budget has room
/// (<see cref="DetectApiOptions.StoreBehindMaxBytes"/>), a photo is stored after its answer: the
/// result is saved <c>pending</c>, then the put runs (on its own timeout, the upload's buffer
/// leased until it ends) and settles it, <c>stored</c> or <c>not_stored</c>: <c>store_failed</c>.
/// It does not run beside the detection, whose wide run wants every core. Otherwise (job items,
/// a full budget, a store whose last put failed) the put runs beside the detection and the
/// answer waits for it, so a store refusing everything is heard by clients (507, 503) rather
/// than answered 200 and <c>not_stored</c>. At shutdown the host waits for the puts still
/// settling; one cut off by a kill is <see cref="PendingImageSweep"/>'s.
/// </summary>
internal sealed partial class StoreBehind(
    IImageStore images,
    IResultImageStorage storage,
    IOptions<DetectApiOptions> options,
    ILogger<StoreBehind> logger) : IHostedService
{
    private readonly ConcurrentDictionary<Task, byte> _settling = new();
    private long _bytes;
    private volatile bool _storeFailing;

    /// <summary>A place behind the answer for <paramref name="upload"/>'s photo, or null: store it before answering.</summary>
    public Reservation? TryReserve(UploadedImage? upload)
    {
        if (upload is null || _storeFailing)
        {
            return null;
        }

        var bytes = upload.Bytes.Length;
        var max = options.Value.StoreBehindMaxBytes;
        while (true)
        {
            var current = Interlocked.Read(ref _bytes);
            if (current + bytes > max)
            {
                DetectionMetrics.Puts.WithLabels("inline_budget").Inc();
                return null;
            }

            if (Interlocked.CompareExchange(ref _bytes, current + bytes, current) == current)
            {
                DetectionMetrics.BehindBytes.Inc(bytes);
                return new Reservation(this, upload.Lease(), bytes);
            }
        }
    }

    /// <summary>
    /// A put the answer waits for, started now on the thread pool (it seals before its first await)
    /// so that it overlaps the detection.
    /// </summary>
    public Task<StoredImage> StartBeforeAnswer(Guid tenantId, ReadOnlyMemory<byte> image, StoredImage described, CancellationToken cancellationToken)
    {
        DetectionMetrics.Puts.WithLabels("before_answer").Inc();
        return Observe(Task.Run(() => images.PutAsync(tenantId, image, described, cancellationToken), CancellationToken.None));
    }

    /// <summary>Stores the photo of <paramref name="resultId"/>, saved pending, and settles the result; owns the reservation from here.</summary>
    public void StoreAfterAnswer(Reservation reservation, Guid tenantId, Guid resultId, ReadOnlyMemory<byte> image, StoredImage described)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var settling = Task.Run(() => SettleAsync(reservation, tenantId, resultId, image, described), CancellationToken.None);
        _settling.TryAdd(settling, 0);
        settling.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, byte>)s!).TryRemove(t, out _), _settling, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// A detection that failed keeps nothing: the image its put created is deleted again, unless a
    /// result or a waiting job item of the tenant holds it meanwhile. An image the tenant had
    /// before stays.
    /// </summary>
    public async Task ForgetAsync(Task<StoredImage> put, Guid tenantId)
    {
        ArgumentNullException.ThrowIfNull(put);
        try
        {
            var stored = await put;
            if (stored.Created)
            {
                await images.DeleteUnheldAsync(tenantId, [stored.Sha256], CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away while the put ran: a cancelled put wrote nothing (or a whole blob
            // no result names, which the orphan sweep removes).
        }
        catch (Exception ex)
        {
            // The put itself failed (nothing stored: backends write whole blobs or nothing), or the
            // delete failed: then the warning names the tenant for an operator.
            LogForgetFailed(logger, tenantId, ex);
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

    /// <summary>Remembers whether the store's last put failed (an erased tenant's refusal says nothing about the store).</summary>
    private Task<StoredImage> Observe(Task<StoredImage> put)
    {
        put.ContinueWith(
            static (t, s) =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    ((StoreBehind)s!)._storeFailing = false;
                }
                else if (t.Exception?.GetBaseException() is DomainException { Kind: OutcomeKind.Unavailable or OutcomeKind.StorageFull })
                {
                    ((StoreBehind)s!)._storeFailing = true;
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return put;
    }

    private async Task SettleAsync(Reservation reservation, Guid tenantId, Guid resultId, ReadOnlyMemory<byte> image, StoredImage described)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("detect.store_behind");
        activity?.SetTag("detector.result_id", resultId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(options.Value.StoreBehindTimeoutSeconds));
        try
        {
            StoredImage stored;
            try
            {
                stored = await Observe(images.PutAsync(tenantId, image, described, timeout.Token));
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

            // The result was deleted, or marked interrupted meanwhile: what this put created goes again.
            if (stored.Created)
            {
                await images.DeleteUnheldAsync(tenantId, [stored.Sha256], CancellationToken.None);
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
            reservation.Dispose();
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

    /// <summary>Bytes of the budget and the upload's buffer, held until the put behind the answer ends; released once.</summary>
    internal sealed class Reservation(StoreBehind owner, IDisposable lease, int bytes) : IDisposable
    {
        private int _released;

        /// <summary>A new owner of the same hold; disposing this one afterwards releases nothing.</summary>
        public Reservation Transfer()
        {
            Interlocked.Exchange(ref _released, 1);
            return new Reservation(owner, lease, bytes);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1)
            {
                return;
            }

            lease.Dispose();
            Interlocked.Add(ref owner._bytes, -bytes);
            DetectionMetrics.BehindBytes.Dec(bytes);
        }
    }
}
