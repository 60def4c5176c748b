using Detector.Modules.Detection.Contracts;

namespace Detector.Modules.Jobs.Storage;

/// <summary>Job items still queued or running hold their stored images.</summary>
internal sealed class JobImageHolder(JobStore jobs) : IImageHolder
{
    public Task<bool> HoldsAsync(Guid tenantId, string sha256, CancellationToken cancellationToken) => jobs.AwaitsImageAsync(tenantId, sha256, cancellationToken);
}
