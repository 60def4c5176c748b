using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Degradation;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Inference.Pipeline;

/// <summary>
/// Which loaded version serves a request: for an unpinned request, the variant its subject is
/// routed to (production, a canary, an A/B variant); for a pinned one, exactly the version or
/// alias it names; or a cheaper stand-in the degradation ladder chose for a sync request routed to
/// production under backlog. A place reserved before the body was read already says which, and
/// is used as it is.
/// </summary>
/// <param name="RequestedName">The model the request names (without a pin).</param>
/// <param name="Manifest">The version that serves it.</param>
/// <param name="Variant">The variant (alias) it was routed to, or <see cref="DetectionOutcome.PinnedVariant"/>.</param>
/// <param name="Rung">The ladder's rung; null for the requested model in full.</param>
/// <param name="Reserved">The place reserved before the body was read, if it is in this version's queue.</param>
internal sealed record ServedModel(string RequestedName, ModelManifest Manifest, LoadedModel Model, string Variant, string? Rung, AdmissionTicket? Reserved)
{
    /// <summary>Resolves the request's model; throws unknown_model or model_not_ready.</summary>
    public static ServedModel Resolve(DetectionRequest request, IModelCatalog catalog, InferenceHost host, DegradationLadder ladder)
    {
        var name = request.Model ?? catalog.DefaultModel;
        if (request.Ticket is { } reserved && reserved.RequestedModel == name)
        {
            // The place reserved before the body was read says which version, variant and rung.
            if (!host.TryGet(reserved.Model, out var placed))
            {
                throw NotReady(name);
            }

            return new ServedModel(ModelSelector.Parse(name).Name, placed.Manifest, placed, reserved.Variant, reserved.Rung, reserved);
        }

        var requested = Route(name, request.Subject, request.TenantId, catalog, host, out var variant);
        var (served, rung) = request.Priority == DetectionPriority.Interactive && request.AllowDegradation && variant == ModelAliases.Production && !ModelSelector.IsPinned(name)
            ? ladder.Choose(requested.Manifest.Name)
            : (requested.Key, null);
        if (rung is null)
        {
            return new ServedModel(requested.Manifest.Name, requested.Manifest, requested, variant, null, null);
        }

        return host.TryGet(served, out var standIn)
            ? new ServedModel(requested.Manifest.Name, standIn.Manifest, standIn, variant, rung, null)
            : throw NotReady(name);
    }

    /// <summary>
    /// The loaded version <paramref name="name"/> names for this subject, and its variant; or the
    /// refusal: unknown_model when nothing servable is registered under it, model_not_ready while it loads.
    /// </summary>
    public static LoadedModel Route(string name, string? subject, Guid? tenantId, IModelCatalog catalog, InferenceHost host, out string variant)
    {
        if (TryRoute(name, subject, tenantId, catalog, host, out var loaded, out variant))
        {
            return loaded;
        }

        var registered = catalog.Find(name);
        if (registered is null || catalog.Snapshot.Model(registered.Name)?.Version(registered.Version)?.State is not VersionState.Active)
        {
            var why = registered is null ? "is not served" : "is archived or was refused";
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.UnknownModel, "Unknown model", $"Model '{name}' {why}. GET /v1/models lists the served models, their versions and aliases.");
        }

        throw NotReady(name);
    }

    /// <summary><see cref="Route"/> without the refusal: false when nothing loaded here serves <paramref name="name"/>.</summary>
    public static bool TryRoute(string name, string? subject, Guid? tenantId, IModelCatalog catalog, InferenceHost host, out LoadedModel loaded, out string variant)
    {
        var selector = ModelSelector.Parse(name);
        if (!selector.Pinned)
        {
            return host.TryRoute(name, subject ?? tenantId?.ToString() ?? "", out loaded, out variant);
        }

        variant = catalog.Snapshot.Model(selector.Name)?.Version(selector.Version!) is null ? selector.Version! : DetectionOutcome.PinnedVariant;
        return host.TryGet(name, out loaded);
    }

    private static DomainException NotReady(string name) =>
        new(OutcomeKind.Unavailable, ErrorCodes.ModelNotReady, "Model not ready", $"Model '{name}' is still loading.") { RetryAfterSeconds = 5 };
}
