using Detector.Modules.Common;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Training.Runs;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Training.RecordTrainingRun;

/// <summary>
/// Records a training run once the server has checked what it claims: the version is registered
/// and its artifact is the one the run produced (sha256), the dataset version exists and the
/// export the trainer read is that version's export (sha256). The run is stored immutable under
/// the hash of its canonical record, named in the version's metrics, and the same record posted
/// again answers the stored run. Dataset versions come from the Datasets module.
/// </summary>
internal sealed partial class RecordTrainingRunHandler(
    TrainingRunStore store, IModelCatalog catalog, IModelVersionRegistrar registrar, ILogger<RecordTrainingRunHandler> logger, IDatasetVersions datasets)
{
    public async Task<(TrainingRunView Run, bool Created)> HandleAsync(TrainingRunRecord record, string actor, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("training.record");
        activity?.SetTag("detector.model", $"{record.Model}@{record.Version}");
        try
        {
            await CheckAsync(record, ct);
        }
        catch (DomainException refused)
        {
            TrainingMetrics.Runs.WithLabels("refused").Inc();
            LogRefused(logger, record.Model, record.Version, refused.Code, actor);
            throw;
        }

        var (row, created) = await store.InsertAsync(record, actor, ct);
        await registrar.RecordTrainingRunAsync(row.Model, row.Version, row.Id, row.RecordSha256, ct);
        TrainingMetrics.Runs.WithLabels(created ? "recorded" : "replayed").Inc();
        LogRecorded(logger, row.Id, row.Model, row.Version, row.DatasetVersion, row.RecordSha256, created, actor);
        return (TrainingRunView.Of(row), created);
    }

    private async Task CheckAsync(TrainingRunRecord record, CancellationToken ct)
    {
        var version = catalog.Snapshot.Model(record.Model)?.Version(record.Version)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{record.Model}' has no registered version '{record.Version}': register the artifact the run produced first.");
        if (!string.Equals(version.Manifest.Sha256, record.ArtifactSha256, StringComparison.Ordinal))
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.ArtifactMismatch, "Artifact does not match", $"{record.Model}@{record.Version}'s artifact has sha256 {version.Manifest.Sha256}, not the {record.ArtifactSha256} the run produced.");
        }

        var dataset = (await datasets.FindAsync(record.DatasetVersion, ct))
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.DatasetVersionNotFound, "Dataset version not found", $"No dataset version {record.DatasetVersion}.");
        if (!string.Equals(dataset.ExportSha256, record.ExportSha256, StringComparison.Ordinal))
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.ExportMismatch, "Export does not match", $"Dataset version {record.DatasetVersion}'s export has sha256 {dataset.ExportSha256}, not the {record.ExportSha256} the run read.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training run {RunId} of {Model}@{Version} on dataset version {DatasetVersion} (record {RecordSha256}, new: {Created}) recorded by {Actor}")]
    private static partial void LogRecorded(ILogger logger, Guid runId, string model, string version, string datasetVersion, string recordSha256, bool created, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training run of {Model}@{Version} refused ({Code}) for {Actor}")]
    private static partial void LogRefused(ILogger logger, string model, string version, string code, string actor);
}
