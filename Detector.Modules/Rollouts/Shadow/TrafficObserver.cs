using System.Diagnostics;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Rollouts.Comparison;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Rollouts.Shadow;

/// <summary>
/// On the request's path: records every detection the pipeline ran in its variant's window, and
/// offers a sample to <see cref="OffPathComparisons"/> (production's requests to be run again on
/// the shadow, a variant's on production). It copies the image only for a sampled request the
/// queue has room for; everything else costs a few counter updates.
/// </summary>
internal sealed class TrafficObserver(IModelCatalog catalog, ComparisonQueue queue, RolloutState state, IOptions<RolloutsOptions> options) : IDetectionObserver
{
    public void Observe(ObservedDetection d)
    {
        if (d.Degraded || d.Variant == DetectionOutcome.PinnedVariant)
        {
            return; // a stand-in's or a pinned version's answer says nothing of a variant
        }

        var rollout = state.For(d.Model);
        rollout.Add(d.Variant, d.Version, new Served(state.Now, d.Outcome is null, d.TotalMs, d.Detections.Count));
        if (d.Outcome is not null || catalog.Snapshot.Model(d.Model) is not { } model || Random.Shared.NextDouble() >= options.Value.ComparisonSampleRate)
        {
            return;
        }

        // Production's answers are compared with the shadow's; a variant's with production's.
        string? other = d.Variant == ModelAliases.Production
            ? model.Aliases.TryGetValue(ModelAliases.Shadow, out var shadow) && shadow != d.Version ? ModelAliases.Shadow : null
            : ModelAliases.Production;
        if (other is null)
        {
            return;
        }

        var pending = new Pending(d.Model, d.Variant, d.Version, other, d.Image.ToArray(), d.Options, d.Detections, d.TotalMs, d.TenantId, Stopwatch.GetTimestamp());
        if (!queue.Writer.TryWrite(pending))
        {
            RolloutMetrics.Comparisons.WithLabels(d.Model, pending.Candidate, "dropped_queue_full").Inc();
        }
    }

}
