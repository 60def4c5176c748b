using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Detection.Contracts;

/// <summary>The 202 answer to an accepted job: poll <see cref="StatusUrl"/> until the status is terminal.</summary>
public sealed record JobAccepted(Guid Id, string Status, string StatusUrl, string ResultsUrl);

/// <summary>One image for <see cref="IJobSubmitter"/>; the bytes are stored before the job is accepted.</summary>
public sealed record JobImage(ReadOnlyMemory<byte> Bytes, string? FileName);

/// <summary>
/// The detect endpoint's `Prefer: respond-async` fallback: a request that cannot be served within
/// its deadline becomes a one-image job. Declared here and implemented by the Jobs module, which
/// uses this module's detection recorder: Jobs depends on Detection, never the other way round.
/// Everything is durable when the call returns.
/// </summary>
public interface IJobSubmitter
{
    Task<JobAccepted> SubmitAsync(Guid tenantId, IReadOnlyList<JobImage> images, string? model, DetectionOptions options, CancellationToken cancellationToken);
}
