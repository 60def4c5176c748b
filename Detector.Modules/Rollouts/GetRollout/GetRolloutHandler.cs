using Detector.Modules.Common;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Rollouts.Comparison;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Rollouts.GetRollout;

/// <summary>
/// The live comparison: aliases and traffic shares from the registry; each variant's requests,
/// errors, latency and detections per image, and each candidate's agreement with production
/// (precision, recall, score shift, per-class count differences, latency), over this instance's
/// window; the last breach. Every instance judges its own window.
/// </summary>
internal sealed class GetRolloutHandler(IModelCatalog catalog, RolloutState state, IOptions<RolloutsOptions> options)
{
    public RolloutView Handle(string model)
    {
        var registered = catalog.Snapshot.Model(model)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.UnknownModel, "Unknown model", $"No model '{model}' is registered.");
        var now = state.Now;
        var rollout = state.Find(model);
        var o = options.Value;
        return new RolloutView(
            model,
            Environment.MachineName,
            registered.Aliases,
            registered.Traffic(),
            rollout?.Variants(now) ?? [],
            rollout?.Comparisons(now) ?? [],
            rollout?.LastBreach,
            o.Guardrails,
            o.WindowSize,
            o.WindowSeconds);
    }
}
