using System.Security.Claims;
using System.Text.Json;
using Detector.Modules.Models.Registry;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.RegisterModelVersion;

/// <summary>
/// A version to register: its artifact (<c>store:file.onnx</c> in <c>Models:ArtifactDirectory</c>,
/// <c>shared:file.onnx</c> in <c>Models:Directory</c>), the manifest that feeds it (the same
/// camelCase document as a file in model-manifests), and optionally its label (default: the first
/// 12 hex digits of its sha256), the sha256 the caller expects, precision and known metrics.
/// </summary>
internal sealed record RegisterVersionRequest(string? Artifact, JsonElement? Manifest, string? Version, string? Sha256, string? Precision, JsonElement? Metrics);

internal sealed class RegisterVersionValidator : AbstractValidator<RegisterVersionRequest>
{
    public RegisterVersionValidator()
    {
        RuleFor(r => r.Artifact).Must(a => ArtifactLocation.Normalise(a) is not null)
            .WithMessage("artifact must name an .onnx file, store:<file> (Models:ArtifactDirectory) or shared:<file> (Models:Directory), or an uploaded one, db:<sha256>.");
        RuleFor(r => r.Manifest).Must(m => m is { ValueKind: JsonValueKind.Object })
            .WithMessage("manifest must be a model manifest object, as in model-manifests/*.json.");
        RuleFor(r => r.Version).Must(v => RegistryNames.Version().IsMatch(v!)).When(r => r.Version is not null)
            .WithMessage("version must be 1-40 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit.");
        RuleFor(r => r.Sha256).Matches("^[0-9a-f]{64}$").When(r => r.Sha256 is not null)
            .WithMessage("sha256 must be 64 lower-case hex digits.");
        RuleFor(r => r.Precision).Must(p => p is "fp32" or "fp16" or "int8").When(r => r.Precision is not null)
            .WithMessage("precision must be fp32, fp16 or int8.");
        RuleFor(r => r.Metrics).Must(m => m is { ValueKind: JsonValueKind.Object }).When(r => r.Metrics is { ValueKind: not JsonValueKind.Null })
            .WithMessage("metrics must be an object.");
    }
}

/// <summary>POST /v1/admin/models/{name}/versions (validated by <see cref="RegisterVersionValidator"/>).</summary>
internal static class RegisterModelVersionEndpoint
{
    public static async Task<Created<ModelVersionView>> Handle(string name, RegisterVersionRequest request, ClaimsPrincipal user, RegisterModelVersionHandler handler, CancellationToken ct)
    {
        var view = await handler.HandleAsync(name, request, user.AdminActor(), ct);
        return TypedResults.Created($"/v1/models/{view.Model}@{view.Version}", view);
    }
}
