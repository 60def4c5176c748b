using Detector.Modules.Common;
using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Reports;
using Detector.Modules.Evaluation.RunEvaluation;

namespace Detector.Modules.Evaluation.CompareEvaluations;

internal sealed record EvaluationSide(Guid Id, string Model, string Version, string Sha256);

internal sealed record EvaluationComparison(EvaluationSide A, EvaluationSide B, string? Annotations, string? Images, string? DatasetVersion, string? Split, BootstrapResult Bootstrap);

/// <summary>Compares two succeeded evaluations of the same dataset, image by image, from their stored detections.</summary>
internal sealed class CompareEvaluationsHandler(EvaluationStore store, EvaluationInputs inputs)
{
    /// <summary>Fixed, so the same two evaluations always give the same comparison.</summary>
    public const int Seed = 20261207;

    public async Task<EvaluationComparison> HandleAsync(Guid a, Guid b, int samples, CancellationToken ct)
    {
        var (rowA, rowB) = (await FinishedAsync(a, ct), await FinishedAsync(b, ct));
        if (rowA.DatasetKey != rowB.DatasetKey)
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.EvaluationsNotComparable, "Not the same dataset", $"Evaluation {a} scored {rowA.DatasetLabel}, {b} scored {rowB.DatasetLabel}: only evaluations of the same dataset compare image by image.");
        }

        var dataset = CocoDataset.Load((await inputs.OpenAsync(rowA, ct)).AnnotationsPath);
        var (imagesA, imagesB) = (await store.ReadImagesAsync(a, ct), await store.ReadImagesAsync(b, ct));
        var shared = imagesA.Select(r => r.ImageId).Intersect(imagesB.Select(r => r.ImageId)).Order().ToList();
        var result = await Task.Run(() => BootstrapComparison.Compare(dataset, shared, ImageRow.AllDetections(imagesA), ImageRow.AllDetections(imagesB), samples, Seed), ct);
        return new EvaluationComparison(Side(rowA), Side(rowB), rowA.Annotations, rowA.Images, rowA.DatasetVersion, rowA.Split, result);
    }

    private async Task<EvaluationRow> FinishedAsync(Guid id, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct) ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.EvaluationNotFound, "Evaluation not found", $"No evaluation {id}.");
        return row.State switch
        {
            EvaluationStates.Succeeded => row,
            EvaluationStates.Failed => throw new DomainException(OutcomeKind.Conflict, ErrorCodes.EvaluationFailed, "Evaluation failed", $"Evaluation {id} failed; it has nothing to compare."),
            _ => throw new DomainException(OutcomeKind.Conflict, ErrorCodes.EvaluationNotFinished, "Evaluation not finished", $"Evaluation {id} is {row.State}; only succeeded evaluations compare."),
        };
    }


    private static EvaluationSide Side(EvaluationRow row) => new(row.Id, row.ModelName, row.Version, row.Sha256);
}
