using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Jobs.Contracts;

/// <summary>Job states as the API spells them (field `status`).</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string PartiallyFailed = "partially_failed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsTerminal(string status) => status is Succeeded or PartiallyFailed or Failed or Cancelled;
}

/// <summary>The 202 answer to an accepted job: poll <see cref="StatusUrl"/> until the status is terminal.</summary>
public sealed record JobAccepted(Guid Id, string Status, string StatusUrl, string ResultsUrl);

/// <summary>One image for <see cref="IJobSubmitter"/>; the bytes are stored before the job is accepted.</summary>
public sealed record JobImage(ReadOnlyMemory<byte> Bytes, string? FileName);

/// <summary>
/// Lets other modules turn work into an async job (e.g. the sync detect endpoint's
/// `Prefer: respond-async` fallback). Everything is durable when the call returns.
/// </summary>
public interface IJobSubmitter
{
    Task<JobAccepted> SubmitAsync(Guid tenantId, IReadOnlyList<JobImage> images, string? model, DetectionOptions options, CancellationToken cancellationToken);
}
