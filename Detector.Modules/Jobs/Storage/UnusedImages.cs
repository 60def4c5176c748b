using Detector.Modules.Images.Contracts;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// Deletes a tenant's images that nothing holds any more. What a refused job submission stored
/// (nothing refused is kept) goes unless anything of the tenant names it (a job, a result, a
/// dataset version, a labeling item: images are per tenant, under their hash), since the refused
/// upload may have been a photo the tenant already had. An erased or expired job's images go
/// unless another job or result holds them: an erasure takes them from dataset versions and
/// labeling items too (ADR 0024, erase over immutability).
/// </summary>
internal sealed partial class UnusedImages(IImageStore images, IResultStore results, JobStore jobs, ILogger<UnusedImages> logger)
{
    /// <summary>Deletes those of <paramref name="sha256s"/> no job or result of the tenant holds; returns how many were deleted and kept.</summary>
    public async Task<(int Deleted, int Kept)> DeleteAsync(Guid tenantId, IEnumerable<string> sha256s)
    {
        int deleted = 0, kept = 0;
        foreach (var sha256 in sha256s.Distinct())
        {
            if (await jobs.ReferencesImageAsync(tenantId, sha256, CancellationToken.None)
                || await results.ReferencesImageAsync(tenantId, sha256, CancellationToken.None))
            {
                kept++;
                continue;
            }

            deleted += await images.DeleteAsync(tenantId, sha256, CancellationToken.None) ? 1 : 0;
        }

        return (deleted, kept);
    }

    /// <summary>What a refused job submission stored goes again, unless any module's <see cref="IImageReferences"/> names it.</summary>
    public async Task DiscardRefusedAsync(Guid tenantId, IReadOnlyCollection<string> stored)
    {
        if (stored.Count == 0)
        {
            return;
        }

        var (deleted, kept) = await images.DeleteUnheldAsync(tenantId, stored, CancellationToken.None);
        LogDiscarded(logger, tenantId, deleted, kept);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused job upload of tenant {TenantId}: deleted {Deleted} stored image(s), kept {Kept} something else names")]
    private static partial void LogDiscarded(ILogger logger, Guid tenantId, int deleted, int kept);
}
