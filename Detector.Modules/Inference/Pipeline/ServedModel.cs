using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Degradation;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Inference.Pipeline;

/// <summary>
/// Which loaded model serves a request: the one it names (or the default), or a cheaper stand-in
/// the degradation ladder chose for a sync request under backlog. A place reserved before the
/// body was read already says which, and is used as it is.
/// </summary>
/// <param name="Requested">The model the client asked for.</param>
/// <param name="Manifest">The model that serves it.</param>
/// <param name="Rung">The ladder's rung; null for the requested model in full.</param>
/// <param name="Reserved">The place reserved before the body was read, if it is in this model's queue.</param>
internal sealed record ServedModel(ModelManifest Requested, ModelManifest Manifest, LoadedModel Model, string? Rung, AdmissionTicket? Reserved)
{
    /// <summary>Resolves the request's model; throws unknown_model or model_not_ready.</summary>
    public static ServedModel Resolve(DetectionRequest request, IModelCatalog catalog, InferenceHost host, DegradationLadder ladder)
    {
        var name = request.Model ?? catalog.DefaultModel;
        var requested = catalog.Find(name)
            ?? throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.UnknownModel, "Unknown model", $"Model '{name}' is not served. GET /v1/models lists the served models and their versions.");

        // A sync request may be served by a cheaper model under backlog (the ladder); the place
        // reserved before its body was read already says which.
        var reserved = request.Ticket is { } t && t.RequestedModel == requested.Name ? t : null;
        var (servedName, rung) = reserved is not null
            ? (reserved.Model, reserved.Rung)
            : request.Priority == DetectionPriority.Interactive && request.AllowDegradation && !ModelSelector.IsPinned(request.Model) ? ladder.Choose(requested.Name) : (requested.Name, null);
        var manifest = servedName == requested.Name ? requested : catalog.Find(servedName)!;
        if (!host.TryGet(manifest.Name, out var model))
        {
            throw new DomainException(OutcomeKind.Unavailable, ErrorCodes.ModelNotReady, "Model not ready", $"Model '{name}' is still loading.") { RetryAfterSeconds = 5 };
        }

        return new ServedModel(requested, manifest, model, rung, reserved);
    }
}
