using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Results.DetectAndRecord;

internal sealed class DetectionRecorder(IObjectDetector detector, IImageStore images, IResultStore results, TimeProvider time) : IDetectionRecorder
{
    public async Task<ResultDocument> RecordAsync(RecordDetection command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var outcome = await detector.DetectAsync(command.Detection, cancellationToken);
        var stored = command.Stored
            ?? (command.StoreImage ? await images.PutAsync(command.TenantId, command.Detection.Image, cancellationToken) : images.Describe(command.Detection.Image));
        var document = ResultDocument.From(command.ResultId, time.GetUtcNow(), command.Source, outcome, stored.Sha256);
        await results.SaveAsync(command.TenantId, document, cancellationToken);
        return document;
    }
}
