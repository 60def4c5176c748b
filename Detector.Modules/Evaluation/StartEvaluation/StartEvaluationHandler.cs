using Detector.Modules.Common;
using Detector.Modules.Evaluation.RunEvaluation;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Evaluation.StartEvaluation;

/// <summary>
/// Accepts an evaluation: resolves the model to one registered version (the job scores that
/// version even if an alias moves), checks the dataset is inside the dataset root or the dataset
/// version exists (an incomplete one is accepted: the report says so), stores the evaluation
/// queued and hands it to the job queue (low priority, crash-safe, in the dashboard).
/// </summary>
internal sealed partial class StartEvaluationHandler(EvaluationStore store, IModelCatalog catalog, IBackgroundWork work, EvaluationInputs inputs, ILogger<StartEvaluationHandler> logger)
{
    public async Task<EvaluationView> HandleAsync(StartEvaluationRequest request, string actor, CancellationToken ct)
    {
        var manifest = catalog.Find(request.Model!)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.UnknownModel, "Unknown model", $"No model, version or alias '{request.Model}' is registered.");
        if (manifest.CocoCategoryIds.Count == 0)
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.ValidationFailed, "Model is not COCO", $"{manifest.Name}@{manifest.Version} has no COCO category ids to score against COCO annotations.");
        }

        string? split = null;
        if (request.DatasetVersion is { } version)
        {
            var found = await inputs.FindVersionAsync(version, ct);
            split = request.Split ?? EvaluationInputs.DefaultSplit;
            if (!found.Complete)
            {
                LogIncomplete(logger, version, found.Erased);
            }
        }
        else if (!File.Exists(DatasetPaths.Resolve(inputs.Settings, request.Annotations!)) || !Directory.Exists(DatasetPaths.Resolve(inputs.Settings, request.Images!)))
        {
            throw new DomainException(OutcomeKind.Unprocessable, ErrorCodes.DatasetNotFound, "Dataset not found", "The annotations file or the images folder does not exist under Evaluation:DatasetRoot.");
        }

        var row = new EvaluationRow(Guid.CreateVersion7(), request.Model!, manifest.Name, manifest.Version, manifest.Sha256, request.Annotations, request.Images,
            EvaluationStates.Queued, 0, 0, 0, null, null, actor, DateTime.UtcNow, null, null, request.DatasetVersion, split);
        await store.InsertAsync(row, ct);
        var job = work.Enqueue<EvaluationRunner>(runner => runner.RunAsync(row.Id, CancellationToken.None));
        LogAccepted(logger, row.Id, manifest.Name, manifest.Version, row.DatasetLabel, job, actor);
        return EvaluationView.Of(row, withReport: false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Evaluation {EvaluationId} of {Model}@{Version} on {Dataset} accepted (job {JobId}) by {Actor}")]
    private static partial void LogAccepted(ILogger logger, Guid evaluationId, string model, string version, string dataset, string jobId, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset version {DatasetVersion} is incomplete ({Erased} entries erased): its evaluation scores the rest and its report says so")]
    private static partial void LogIncomplete(ILogger logger, string datasetVersion, int erased);
}
