using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Training.Runs;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Training.GetModelVersionLineage;

/// <summary>
/// Answers "where did you come from" (the registry's source version for a variant, the training
/// runs that produced it) and "which data validated you" (its succeeded evaluations), each from
/// the module that owns it. Dataset versions are read now, so an erased image shows as an
/// incomplete version.
/// </summary>
internal sealed class GetModelVersionLineageHandler(
    IModelCatalog catalog, IModelVersionMetadata metadata, TrainingRunStore runs, IEvaluationHistory evaluations, IOptions<TrainingOptions> options, IDatasetVersions datasets)
{
    public async Task<VersionLineage> HandleAsync(string model, string version, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("training.lineage");
        activity?.SetTag("detector.model", $"{model}@{version}");
        var registered = catalog.Snapshot.Model(model);
        var found = registered?.Version(version);
        if (found is null)
        {
            TrainingMetrics.Lineage.WithLabels("not_found").Inc();
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{model}' has no version '{version}'.");
        }

        var derived = DerivedFromOf(await metadata.MetricsAsync(model, version, ct), registered!);
        var trained = new List<TrainedBy>();
        foreach (var run in await runs.ListAsync(model, version, options.Value.MaxListed, ct))
        {
            var dataset = await datasets.FindAsync(run.DatasetVersion, ct);
            var view = TrainingRunView.Of(run);
            trained.Add(new TrainedBy(
                run.Id, run.DatasetVersion, dataset is null ? null : new TrainingDataset(dataset.Dataset, dataset.Images, dataset.Erased, dataset.Complete, dataset.ExportSha256),
                run.ExportSha256, run.RecordSha256, run.CodeVersion, run.ImageDigest, run.Seed, view.Metrics, view.RecordedAt));
        }

        var validated = (await evaluations.FinishedAsync(model, version, ct)).Select(e => new ValidatedBy(
            e.Id, e.DatasetVersion, e.Split, e.Annotations, e.Images, e.AnnotationsSha256, e.ImagesScored, e.Map, e.Ap50, e.Ece, e.FinishedAt)).ToList();
        TrainingMetrics.Lineage.WithLabels("found").Inc();
        return new VersionLineage(
            model, version, found.Manifest.Sha256, found.Manifest.Precision, found.State.ToString().ToLowerInvariant(), found.RegisteredBy, found.RegisteredAt,
            derived, trained, validated);
    }

    /// <summary>A compressed variant names its source in its metrics (Variants' export writes source_version and source_sha256).</summary>
    private static DerivedFrom? DerivedFromOf(JsonElement? metrics, RegisteredModel model)
    {
        if (metrics is not { ValueKind: JsonValueKind.Object } m || !m.TryGetProperty("source_version", out var source) || source.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var sourceVersion = source.GetString()!;
        var registered = model.Version(sourceVersion);
        var sha256 = m.TryGetProperty("source_sha256", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : registered?.Manifest.Sha256;
        return new DerivedFrom(sourceVersion, sha256, registered?.Manifest.Precision, registered is not null);
    }
}
