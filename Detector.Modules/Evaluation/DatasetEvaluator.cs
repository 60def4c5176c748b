using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Evaluation;

/// <summary>
/// Drives the one production pipeline (<see cref="IObjectDetector"/>) over an annotated folder, so
/// the number it reports is the accuracy the service actually delivers.
/// </summary>
internal sealed class DatasetEvaluator(IObjectDetector detector, IModelCatalog catalog, IImageScaler scaler) : IDatasetEvaluator
{
    public async Task<EvaluationReport> EvaluateAsync(EvaluationSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!(settings.Scale > 0) || double.IsInfinity(settings.Scale))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Scale, "Scale must be a positive number.");
        }

        var modelName = settings.Model ?? catalog.DefaultModel;
        var manifest = catalog.Find(modelName)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.UnknownModel, "Unknown model", $"No model named '{modelName}' is loaded.");
        if (manifest.CocoCategoryIds.Count == 0)
        {
            throw new InvalidOperationException($"Model '{manifest.Name}' has no COCO category ids; it cannot be scored against COCO annotations.");
        }

        var stopwatch = Stopwatch.StartNew();
        var groundTruth = CocoDataset.Load(settings.AnnotationsPath).Scale(settings.Scale);
        var images = groundTruth.Images
            .Select(image => (Image: image, Path: Path.Combine(settings.ImagesDirectory, image.FileName)))
            .Where(x => x.Image.FileName.Length > 0 && File.Exists(x.Path))
            .ToList();

        var options = new DetectionOptions { MinScore = settings.MinScore, Iou = settings.Iou, MaxDetections = settings.MaxDetections };
        var perImage = new List<CocoDetection>[images.Count];
        var latencyMs = new double[images.Count];
        var coreMs = new double[images.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, images.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Concurrency), CancellationToken = ct },
            async (index, token) =>
            {
                var (image, path) = images[index];
                var bytes = await File.ReadAllBytesAsync(path, token);
                if (settings.Scale != 1.0)
                {
                    bytes = scaler.Scale(bytes, settings.Scale);
                }

                var started = Stopwatch.GetTimestamp();
                var outcome = await detector.DetectAsync(
                    new DetectionRequest
                    {
                        Image = bytes,
                        Model = modelName, // the selector as given: name@version evaluates that version, not production
                        Options = options,
                        Priority = DetectionPriority.Background,
                    },
                    token);
                latencyMs[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                coreMs[index] = outcome.Timings.CoreMs;
                perImage[index] = ToCoco(image.Id, outcome.Detections, manifest);
            });

        // Image order, not completion order: ids and score ties then do not depend on scheduling.
        var detections = perImage.SelectMany(d => d).ToList();
        if (settings.ResultsPath is { } resultsPath)
        {
            await CocoResultsFile.WriteAsync(resultsPath, detections, ct);
        }

        var evaluation = CocoEvaluator.Evaluate(groundTruth, detections, images.Select(x => x.Image.Id));
        stopwatch.Stop();

        var names = groundTruth.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name);
        var perClass = evaluation.PerCategoryAp
            .Where(kv => kv.Value > -1)
            .OrderBy(kv => kv.Key)
            .ToDictionary(kv => names[kv.Key], kv => kv.Value);

        return new EvaluationReport
        {
            Model = manifest.Name,
            ModelVersion = manifest.Version,
            Stats = ToStats(evaluation.Stats),
            PerClassAp = perClass,
            ImageCount = images.Count,
            DetectionCount = detections.Count,
            Elapsed = stopwatch.Elapsed,
            Scale = settings.Scale,
            ResultsPath = settings.ResultsPath,
            Extras = Extras(groundTruth, detections, latencyMs, coreMs, manifest),
        };
    }

    private static EvaluationExtras Extras(CocoDataset groundTruth, List<CocoDetection> detections, double[] latencyMs, double[] coreMs, ModelManifest manifest)
    {
        var confusion = Reports.ClassConfusion.Measure(groundTruth, detections, Reports.ReportBuilder.ConfusionMinScore);
        var top = confusion.Counts
            .SelectMany((row, r) => row.Select((count, c) => (Row: r, Column: c, Count: count)))
            .Where(x => x.Row != x.Column && x.Count > 0)
            .OrderByDescending(x => x.Count).ThenBy(x => x.Row).ThenBy(x => x.Column)
            .Take(5)
            .Select(x => $"{confusion.Labels[x.Row]} -> {confusion.Labels[x.Column]}: {x.Count}")
            .ToList();
        var sorted = latencyMs.Order().ToArray();
        double At(double p) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new EvaluationExtras(
            Reports.CalibrationMeasure.Measure(groundTruth, detections, Reports.ReportBuilder.CalibrationMinScore).ExpectedCalibrationError,
            manifest.Calibration is { } calibration ? Reports.ReportBuilder.Calibrated(groundTruth, detections, calibration, manifest.CocoCategoryIds).ExpectedCalibrationError : null,
            At(0.5),
            At(0.95),
            coreMs.Length == 0 ? 0 : coreMs.Average(),
            top);
    }

    internal static List<CocoDetection> ToCoco(long imageId, IReadOnlyList<Detection> detections, ModelManifest manifest)
    {
        var result = new List<CocoDetection>(detections.Count);
        foreach (var detection in detections)
        {
            if ((uint)detection.ClassId >= (uint)manifest.CocoCategoryIds.Count)
            {
                throw new InvalidOperationException($"Class {detection.ClassId} of model '{manifest.Name}' has no COCO category id.");
            }

            double x1 = detection.Box[0], y1 = detection.Box[1], x2 = detection.Box[2], y2 = detection.Box[3];
            result.Add(new CocoDetection(
                imageId,
                manifest.CocoCategoryIds[detection.ClassId],
                new CocoBox(x1, y1, x2 - x1, y2 - y1),
                detection.Score));
        }

        return result;
    }

    private static EvaluationStats ToStats(double[] s) =>
        new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11]);
}
