using System.Globalization;
using System.Security.Cryptography;
using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Evaluation.Reports;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Evaluation.CalibrateScores;

/// <summary>
/// Fits a version's score calibration (temperature scaling, per class where the data allows) on a
/// labelled dataset run through the service's own pipeline, prints the expected calibration error
/// before and after on it and on a check set, with the check set's mAP both ways (unchanged: the
/// map is monotone within a class), and keeps it with the version when asked.
/// </summary>
internal sealed class CalibrateScoresHandler(IDatasetEvaluator evaluator, IModelCatalog catalog, IServiceProvider services)
{
    public async Task<int> RunAsync(CalibrationSettings settings, TextWriter output, CancellationToken ct)
    {
        var manifest = catalog.Find(settings.Model);
        if (manifest is null)
        {
            await output.WriteLineAsync($"calibrate: no model, version or alias '{settings.Model}'");
            return EvaluationCommand.UnknownModel;
        }

        var selector = $"{manifest.Name}@{manifest.Version}";
        var (fitSet, fitDetections) = await DetectAsync(selector, settings.AnnotationsPath, settings.ImagesDirectory, ct);
        var labelled = CalibrationMeasure.Label(fitSet, fitDetections, ReportBuilder.CalibrationMinScore);
        var (temperature, perCategory) = TemperatureFit.Fit(labelled);
        var classOf = manifest.CocoCategoryIds.Select((id, index) => (id, index)).ToDictionary(x => x.id, x => x.index);
        var perClass = perCategory.Where(kv => classOf.ContainsKey(kv.Key)).ToDictionary(kv => classOf[kv.Key], kv => kv.Value);
        var before = CalibrationMeasure.Measure(fitSet, fitDetections, ReportBuilder.CalibrationMinScore).ExpectedCalibrationError;
        var provisional = new ScoreCalibration(temperature, perClass, Describe(settings.AnnotationsPath, settings.ImagesDirectory), before, 0);
        var after = ReportBuilder.Calibrated(fitSet, fitDetections, provisional, manifest.CocoCategoryIds).ExpectedCalibrationError;
        var calibration = provisional with { EceAfter = after };

        await output.WriteLineAsync(Invariant($"{selector}: temperature {temperature:F3}, own temperatures for {perClass.Count} classes ({string.Join(", ", perClass.OrderBy(kv => kv.Key).Select(kv => $"{manifest.Labels[kv.Key]} {kv.Value:F2}"))})"));
        await output.WriteLineAsync(Invariant($"fit set {settings.AnnotationsPath}: {labelled.Count} detections at or above {ReportBuilder.CalibrationMinScore}; ECE {before:F4} -> {after:F4}; {FloorOf(labelled)}"));
        if (settings.CheckAnnotationsPath is { } checkAnnotations && settings.CheckImagesDirectory is { } checkImages)
        {
            var (checkSet, checkDetections) = await DetectAsync(selector, checkAnnotations, checkImages, ct);
            var checkBefore = CalibrationMeasure.Measure(checkSet, checkDetections, ReportBuilder.CalibrationMinScore).ExpectedCalibrationError;
            var checkAfter = ReportBuilder.Calibrated(checkSet, checkDetections, calibration, manifest.CocoCategoryIds).ExpectedCalibrationError;
            var calibratedDetections = checkDetections.Select(d => d with { Score = calibration.Apply(classOf.GetValueOrDefault(d.CategoryId, -1), (float)d.Score) }).ToList();
            var mapBefore = CocoEvaluator.Evaluate(checkSet, checkDetections).Stats[0];
            var mapAfter = CocoEvaluator.Evaluate(checkSet, calibratedDetections).Stats[0];
            await output.WriteLineAsync(Invariant($"check set {checkAnnotations}: ECE {checkBefore:F4} -> {checkAfter:F4} ({checkAfter / checkBefore:F2}x); mAP {mapBefore:F4} -> {mapAfter:F4}; {FloorOf(CalibrationMeasure.Label(checkSet, checkDetections, ReportBuilder.CalibrationMinScore))}"));
        }

        if (after >= before)
        {
            // Temperature scaling made the fit set no better: the raw scores are as calibrated as it can make them.
            await output.WriteLineAsync(Invariant($"not kept: calibrated scores are no better on the fit set (ECE {before:F4} -> {after:F4}); the raw scores stand"));
            return 0;
        }

        if (settings.Register)
        {
            var registrar = services.GetService<IModelVersionRegistrar>();
            if (registrar is null)
            {
                await output.WriteLineAsync("calibrate: --register needs the registry's database (Database__ConnectionString)");
                return 1;
            }

            await registrar.SetCalibrationAsync(manifest.Name, manifest.Version, calibration, "calibrate", ct);
            await output.WriteLineAsync($"registered with {selector}");
        }

        return 0;
    }

    /// <summary>Why a small set's ECE cannot be halved below a point: what perfect calibration would measure there.</summary>
    private static string FloorOf(List<(double Score, int CategoryId, bool Right)> labelled) =>
        Invariant($"perfectly calibrated scores would measure {CalibrationMeasure.NoiseFloor([.. labelled.Select(l => l.Score)]):F4} on these {labelled.Count} detections");

    private async Task<(CocoDataset Dataset, IReadOnlyList<CocoDetection> Detections)> DetectAsync(string selector, string annotations, string images, CancellationToken ct)
    {
        var results = Path.Combine(Path.GetTempPath(), $"detector-calibrate-{Guid.NewGuid():N}.json");
        try
        {
            await evaluator.EvaluateAsync(new EvaluationSettings { Model = selector, AnnotationsPath = annotations, ImagesDirectory = images, ResultsPath = results }, ct);
            return (CocoDataset.Load(annotations), CocoResultsFile.Parse(await File.ReadAllTextAsync(results, ct)));
        }
        finally
        {
            File.Delete(results);
        }
    }

    private static string Describe(string annotations, string images)
    {
        using var file = File.OpenRead(annotations);
        return $"{Path.GetFileName(annotations)} ({Path.GetFileName(Path.TrimEndingDirectorySeparator(images))}), annotations sha256 {Convert.ToHexStringLower(SHA256.HashData(file))}";
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
