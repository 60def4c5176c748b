using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Jobs.SubmitJob;

/// <summary>
/// Nothing refused is kept: the images a job submission stored before it was refused (a later
/// part too large, the quota, a failed commit) are deleted again, unless another job or result of
/// the same tenant holds the same photo (images are per tenant, under their hash).
/// </summary>
internal sealed partial class RefusedUploads(IImageStore images, IResultStore results, JobStore jobs, ILogger<RefusedUploads> logger)
{
    public async Task DiscardAsync(Guid tenantId, IReadOnlyCollection<string> stored)
    {
        var deleted = 0;
        foreach (var sha256 in stored.Distinct())
        {
            if (await jobs.ReferencesImageAsync(tenantId, sha256, CancellationToken.None)
                || await results.ReferencesImageAsync(tenantId, sha256, CancellationToken.None))
            {
                continue;
            }

            await images.DeleteAsync(tenantId, sha256, CancellationToken.None);
            deleted++;
        }

        LogDiscarded(logger, tenantId, deleted, stored.Count - deleted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused job upload of tenant {TenantId}: deleted {Deleted} stored image(s), kept {Kept} another job or result holds")]
    private static partial void LogDiscarded(ILogger logger, Guid tenantId, int deleted, int kept);
}
