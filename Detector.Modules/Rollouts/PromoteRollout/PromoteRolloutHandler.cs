using Detector.Modules.Common;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Rollouts.PromoteRollout;

/// <summary>Points production at the variant's version and ends the variant: the explicit end of a successful rollout.</summary>
internal sealed class PromoteRolloutHandler(IModelCatalog catalog, IAliasChanges aliases)
{
    public async Task<PromoteResponse> HandleAsync(string model, string alias, string? reason, string actor, CancellationToken ct)
    {
        var registered = catalog.Snapshot.Model(model)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.UnknownModel, "Unknown model", $"No model '{model}' is registered.");
        if (alias == ModelAliases.Production || !registered.Aliases.TryGetValue(alias, out var version))
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Alias not found", $"Model '{model}' has no alias '{alias}' to promote.");
        }

        if (!await aliases.PromoteAsync(model, alias, version, actor, reason ?? "promoted", ct))
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.VersionAliased, "Alias moved", $"'{model}@{alias}' no longer names '{version}'; read the rollout again.");
        }

        return new PromoteResponse(model, alias, version);
    }
}
