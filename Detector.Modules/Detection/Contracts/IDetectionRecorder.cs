using Detector.Modules.Images.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Detection.Contracts;

/// <summary>One image to detect and keep: whose it is, the id and source of its result, and the detection to run.</summary>
/// <param name="Stored">The image's address when the caller already stored it (job uploads); null stores it now.</param>
/// <param name="StoreImage">False for plans that keep no images: the result names the image by its hash and nothing is stored.</param>
public sealed record RecordDetection(Guid TenantId, Guid ResultId, string Source, DetectionRequest Detection, StoredImage? Stored = null, bool StoreImage = true)
{
    /// <summary>
    /// The upload whose buffer holds the image, when a client waits for the answer: its photo may
    /// then be stored after the answer (ADR 0016), the recorder leasing the buffer until the put
    /// ends. Null (job items) stores the image before the result.
    /// </summary>
    public UploadedImage? Upload { get; init; }

    /// <summary>Adds each detection's calibrated score when the serving version has a calibration (<c>calibrated=true</c>).</summary>
    public bool Calibrated { get; init; }

    /// <summary>The API key the result is recorded as created by (a browser key reads back only its own); null for job items.</summary>
    public Guid? CreatedByKey { get; init; }
}

/// <summary>
/// The use case behind every detection that is kept: detect, store the image, store the result.
/// The sync API and the job worker both call it, so the order and the rules live in one place.
/// </summary>
public interface IDetectionRecorder
{
    /// <summary>
    /// Runs the detection and stores image and result; returns the stored result, whose image may
    /// still be <c>pending</c> (see <see cref="RecordDetection.Upload"/>). Nothing is stored when detection fails.
    /// </summary>
    Task<ResultDocument> RecordAsync(RecordDetection command, CancellationToken cancellationToken);
}
