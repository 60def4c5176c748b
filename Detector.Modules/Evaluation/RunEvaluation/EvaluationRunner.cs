using System.Diagnostics;
using System.Text.Json;
using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Reports;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Evaluation.RunEvaluation;

/// <summary>
/// One evaluation job, run by the job queue's workers at background priority through the same
/// pipeline as the API. Each scored image's detections are stored as they come, so a run that
/// crashed or was retried skips what was done and the report, computed from every image's row in
/// image order, is the same as an uninterrupted run's. It scores the version resolved when the job
/// was accepted, whatever the aliases say since.
/// </summary>
internal sealed partial class EvaluationRunner(EvaluationStore store, IObjectDetector detector, IModelCatalog catalog, Tenancy.Contracts.IRequestCost cost, EvaluationInputs inputs, ILogger<EvaluationRunner> logger)
{
    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task RunAsync(Guid evaluationId, CancellationToken ct)
    {
        var row = await store.GetAsync(evaluationId, ct);
        if (row is null || row.State is EvaluationStates.Succeeded or EvaluationStates.Failed)
        {
            return;
        }

        using var activity = Common.DetectorTelemetry.Source.StartActivity("evaluation.run");
        activity?.SetTag("detector.evaluation", evaluationId);
        var settings = inputs.Settings;
        OpenedDataset opened;
        CocoDataset dataset;
        List<(CocoImage Image, string Path)> images;
        try
        {
            opened = await inputs.OpenAsync(row, ct);
            dataset = CocoDataset.Load(opened.AnnotationsPath);
            images = [.. dataset.Images.Select(i => (i, Path.Combine(opened.ImagesDirectory, i.FileName))).Where(x => x.i.FileName.Length > 0 && File.Exists(x.Item2)).OrderBy(x => x.i.Id)];
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException or Common.DomainException or InvalidDataException)
        {
            await FailAsync(row, $"dataset unreadable: {ex.Message}");
            return;
        }

        // Detections stored by an earlier run were scored against these annotations, not others.
        if (row.AnnotationsSha256 is { } before && before != opened.AnnotationsSha256)
        {
            await FailAsync(row, $"the annotations changed since the run began (sha256 {before}, now {opened.AnnotationsSha256})");
            return;
        }

        if (images.Count == 0 || images.Count > settings.MaxImages)
        {
            await FailAsync(row, images.Count == 0 ? "no image of the annotations is in the images folder" : $"{images.Count} images, more than Evaluation:MaxImages ({settings.MaxImages})");
            return;
        }

        var selector = $"{row.ModelName}@{row.Version}";
        var manifest = catalog.Find(selector);
        if (manifest is null)
        {
            await FailAsync(row, $"{selector} is no longer registered");
            return;
        }

        var done = await store.BeginRunAsync(evaluationId, images.Count, opened.AnnotationsSha256, ct);
        LogRunning(logger, evaluationId, selector, images.Count, done.Count);
        var detectionOptions = new DetectionOptions { MinScore = 0.01f, Iou = 0.65f, MaxDetections = 100 };
        await Parallel.ForEachAsync(images.Where(x => !done.Contains(x.Image.Id)), new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = ct }, async (item, token) =>
        {
            var bytes = await File.ReadAllBytesAsync(item.Path, token);
            var started = Stopwatch.GetTimestamp();
            var outcome = await detector.DetectAsync(new DetectionRequest { Image = bytes, Model = selector, Options = detectionOptions, Priority = DetectionPriority.Background }, token);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var coco = DatasetEvaluator.ToCoco(item.Image.Id, outcome.Detections, manifest);
            var compact = JsonSerializer.Serialize(coco.Select(d => new[] { d.CategoryId, d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height, d.Score }));
            await store.AddImageAsync(evaluationId, item.Image.Id, compact, latency, outcome.Timings.CoreMs, token);
        });

        var rows = await store.ReadImagesAsync(evaluationId, ct);
        var detections = ImageRow.AllDetections(rows);
        var report = ReportBuilder.Build(
            new ReportSubject(row.Model, row.Version, row.Sha256, row.DatasetLabel, row.Images ?? row.DatasetLabel),
            dataset,
            [.. rows.Select(r => r.ImageId)],
            detections,
            [.. rows.Select(r => r.LatencyMs)],
            catalog.Find(selector)?.Calibration ?? manifest.Calibration,
            manifest.CocoCategoryIds)
        with
        {
            Cost = ReportBuilder.CostOf([.. rows.Select(r => r.CoreMs)], cost.PricePerCoreSecond, cost.Currency),
            Dataset = new DatasetSummary(row.DatasetVersion, row.Split, opened.AnnotationsSha256, opened.Version?.Complete, opened.Version?.Erased),
        };
        await store.FinishAsync(evaluationId, EvaluationStates.Succeeded, JsonSerializer.Serialize(report, Json), null, CancellationToken.None);
        LogSucceeded(logger, evaluationId, selector, report.Stats.MapAll, report.Calibration.ExpectedCalibrationError);
    }

    private async Task FailAsync(EvaluationRow row, string error)
    {
        await store.FinishAsync(row.Id, EvaluationStates.Failed, null, error, CancellationToken.None);
        LogFailed(logger, row.Id, error);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Evaluation {EvaluationId} of {Model}: {Images} images, {Done} scored before (resumed when above 0)")]
    private static partial void LogRunning(ILogger logger, Guid evaluationId, string model, int images, int done);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evaluation {EvaluationId} of {Model} succeeded: mAP {Map:F4}, ECE {Ece:F4}")]
    private static partial void LogSucceeded(ILogger logger, Guid evaluationId, string model, double map, double ece);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluation {EvaluationId} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid evaluationId, string error);
}
