using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Logging;
using Detector.Modules.Detection.Contracts;

namespace Detector.Modules.Detection.DetectAndRecord;

internal sealed partial class DetectionRecorder(
    IObjectDetector detector,
    IImageStore images,
    IResultStore results,
    IEnumerable<IImageHolder> holders,
    TimeProvider time,
    ILogger<DetectionRecorder> logger) : IDetectionRecorder
{
    public async Task<ResultDocument> RecordAsync(RecordDetection command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);

        // The image is stored while it is detected, not after: for a phone photo the write (hash,
        // seal, a few megabytes to the backend) takes about as long as the detection, and the
        // client would wait for both in turn (ADR 0014).
        // On the thread pool: the put hashes and seals synchronously before its first await, which
        // would otherwise delay the detection by as much (about 5 ms for 3 MB).
        var storing = command.Stored is null && command.StoreImage
            ? Task.Run(() => images.PutAsync(command.TenantId, command.Detection.Image, cancellationToken), CancellationToken.None)
            : null;
        DetectionOutcome outcome;
        try
        {
            outcome = await detector.DetectAsync(command.Detection, cancellationToken);
        }
        catch
        {
            if (storing is not null)
            {
                await ForgetAsync(command.TenantId, storing);
            }

            throw;
        }

        var stored = command.Stored ?? (storing is not null ? await storing : images.Describe(command.Detection.Image));
        var document = ResultDocument.From(command.ResultId, time.GetUtcNow(), command.Source, outcome, stored.Sha256);
        await results.SaveAsync(command.TenantId, document, cancellationToken);
        return document;
    }

    /// <summary>
    /// A detection that failed keeps nothing: the image its put created is deleted again, unless a
    /// result or a waiting job item of the tenant holds it meanwhile (the same bytes sent elsewhere
    /// at the same moment). An image the tenant had before stays.
    /// </summary>
    private async Task ForgetAsync(Guid tenantId, Task<StoredImage> storing)
    {
        try
        {
            var stored = await storing;
            if (!stored.Created || await results.ReferencesImageAsync(tenantId, stored.Sha256, CancellationToken.None))
            {
                return;
            }

            foreach (var holder in holders)
            {
                if (await holder.HoldsAsync(tenantId, stored.Sha256, CancellationToken.None))
                {
                    return;
                }
            }

            await images.DeleteAsync(tenantId, stored.Sha256, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            // The client went away while the put ran: a cancelled put wrote nothing (or a whole blob
            // no result names, which the same tenant's next upload of it reuses).
        }
        catch (Exception ex)
        {
            // The put itself failed or was cancelled (nothing stored: backends write whole blobs or
            // nothing), or the delete failed: then the warning names the tenant for an operator.
            LogForgetFailed(logger, tenantId, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId}: the image of a failed detection was not removed at once")]
    private static partial void LogForgetFailed(ILogger logger, Guid tenantId, Exception exception);
}
