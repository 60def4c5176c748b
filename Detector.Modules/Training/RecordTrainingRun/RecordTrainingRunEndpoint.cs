using System.Security.Claims;
using System.Text.Json;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Training.Runs;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Training.RecordTrainingRun;

/// <summary>The configuration a run searched (any JSON object) and the values it chose (any JSON object).</summary>
internal sealed record TrainingConfig(JsonElement? SearchSpace, JsonElement? Chosen);

/// <summary>A training run as the trainer records it (docs/training-handoff.md).</summary>
internal sealed record RecordTrainingRunRequest(
    string? Model, string? Version, string? ArtifactSha256, string? DatasetVersion, string? ExportSha256, TrainingConfig? Config,
    long? Seed, string? CodeVersion, string? ImageDigest, JsonElement? Metrics)
{
    public TrainingRunRecord ToRecord() => new(
        Model!, Version!, ArtifactSha256!, DatasetVersion!, ExportSha256!, Config!.SearchSpace!.Value, Config.Chosen!.Value, Seed!.Value, CodeVersion!, ImageDigest!, Metrics!.Value);
}

internal sealed class RecordTrainingRunValidator : AbstractValidator<RecordTrainingRunRequest>
{
    private const string Sha256 = "^[0-9a-f]{64}$";

    public RecordTrainingRunValidator()
    {
        RuleFor(r => r.Model).NotEmpty().MaximumLength(64);
        RuleFor(r => r.Version).NotEmpty().MaximumLength(40);
        RuleFor(r => r.ArtifactSha256).NotEmpty().Matches(Sha256).WithMessage("artifact_sha256 must be the version's ONNX file's sha256, 64 lower-case hex digits.");
        RuleFor(r => r.DatasetVersion).NotEmpty().Matches(Sha256).WithMessage("dataset_version must be a dataset version's id, 64 lower-case hex digits.");
        RuleFor(r => r.ExportSha256).NotEmpty().Matches(Sha256).WithMessage("export_sha256 must be the export's sha256 (handoff.json), 64 lower-case hex digits.");
        RuleFor(r => r.Config).NotNull().WithMessage("config must be {search_space: {...}, chosen: {...}}.");
        RuleFor(r => r.Config!.SearchSpace).Must(IsObject).When(r => r.Config is not null).WithMessage("config.search_space must be an object.");
        RuleFor(r => r.Config!.Chosen).Must(IsObject).When(r => r.Config is not null).WithMessage("config.chosen must be an object.");
        RuleFor(r => r.Seed).NotNull();
        RuleFor(r => r.CodeVersion).NotEmpty().MaximumLength(200);
        RuleFor(r => r.ImageDigest).NotEmpty().Matches("^sha256:[0-9a-f]{64}$").WithMessage("image_digest must be a container image digest, sha256:<64 lower-case hex digits>.");
        RuleFor(r => r.Metrics).Must(m => IsObject(m) && m!.Value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out var d) && double.IsFinite(d)))
            .WithMessage("metrics must be an object of finite numbers.");
    }

    private static bool IsObject(JsonElement? value) => value is { ValueKind: JsonValueKind.Object };
}

/// <summary>POST /v1/admin/training-runs (validated by <see cref="RecordTrainingRunValidator"/>): 201 with the stored run, 200 with it when the same record was stored before.</summary>
internal static class RecordTrainingRunEndpoint
{
    public static async Task<Results<Created<TrainingRunView>, Ok<TrainingRunView>>> Handle(RecordTrainingRunRequest request, ClaimsPrincipal user, RecordTrainingRunHandler handler, CancellationToken ct)
    {
        var (run, created) = await handler.HandleAsync(request.ToRecord(), user.AdminActor(), ct);
        return created ? TypedResults.Created($"/v1/admin/training-runs/{run.Id}", run) : TypedResults.Ok(run);
    }
}
