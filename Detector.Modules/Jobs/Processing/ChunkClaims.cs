using Detector.Modules.Inference.Contracts;
using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Takes a chunk's claimable items for this process, once the models are ready (for at most
/// Jobs:ReadinessWaitSeconds; then the chunk fails and Hangfire retries it): each under a lease
/// this process renews while it holds the item (<see cref="HeldItems"/>, <see cref="LeaseKeeper"/>).
/// </summary>
internal sealed class ChunkClaims(ItemTransitions transitions, WorkerIdentity worker, HeldItems held, IInferenceReadiness readiness, IOptions<JobsOptions> options)
{
    public async Task<IReadOnlyList<ItemRow>> ClaimAsync(Guid jobId, int first, int last, CancellationToken ct)
    {
        var settings = options.Value;
        await readiness.WhenReady.WaitAsync(TimeSpan.FromSeconds(settings.ReadinessWaitSeconds), ct);
        var items = await transitions.ClaimAsync(jobId, first, last, worker, TimeSpan.FromSeconds(settings.LeaseSeconds), ct);
        foreach (var item in items)
        {
            held.Hold(jobId, item.Idx);
        }

        return items;
    }
}
