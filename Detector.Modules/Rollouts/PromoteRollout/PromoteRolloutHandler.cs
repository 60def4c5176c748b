using Detector.Modules.Common;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Rollouts.PromoteRollout;

/// <summary>Points production at the variant's version and ends the variant: the explicit end of a successful rollout.</summary>
internal sealed class PromoteRolloutHandler(IModelCatalog catalog, IAliasChanges aliases)
{
    public async Task<PromoteResponse> HandleAsync(string model, string alias, string? reason, string actor, CancellationToken ct)
    {
        if (catalog.Snapshot.Model(model) is null)
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.UnknownModel, "Unknown model", $"No model '{model}' is registered.");
        }

        // The alias is read in the promoting transaction: this instance's snapshot may not have
        // heard of an alias moved a moment ago.
        var version = await aliases.PromoteAsync(model, alias, null, actor, reason ?? "promoted", ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Alias not found", $"Model '{model}' has no alias '{alias}' to promote.");
        return new PromoteResponse(model, alias, version);
    }
}
