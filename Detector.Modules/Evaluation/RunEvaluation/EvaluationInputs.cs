using System.Security.Cryptography;
using Detector.Modules.Common;
using Detector.Modules.Datasets.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Evaluation.RunEvaluation;

/// <summary>
/// The data an evaluation scores, opened: the annotations file and images folder (a COCO folder
/// under the dataset root, or a dataset version's export), the annotations' sha256, and for a
/// dataset version whether it is still complete.
/// </summary>
internal sealed record OpenedDataset(string AnnotationsPath, string ImagesDirectory, string AnnotationsSha256, DatasetVersionInfo? Version);

/// <summary>
/// Where an evaluation's data lives. Dataset versions come from the Datasets module
/// (<see cref="IDatasetVersions"/>), exported when the job runs.
/// </summary>
internal sealed class EvaluationInputs(IOptions<EvaluationOptions> options, IDatasetVersions datasets)
{
    /// <summary>The split an evaluation of a dataset version scores when none is named: held-out data.</summary>
    public const string DefaultSplit = "val";

    /// <summary>The split that names the whole version (every split).</summary>
    public const string AllSplits = "all";

    public EvaluationOptions Settings => options.Value;

    /// <summary>The version, or a 404 outcome with <see cref="ErrorCodes.DatasetVersionNotFound"/>.</summary>
    public async Task<DatasetVersionInfo> FindVersionAsync(string versionId, CancellationToken ct) =>
        (await datasets.FindAsync(versionId, ct))
        ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.DatasetVersionNotFound, "Dataset version not found", $"No dataset version {versionId}.");

    /// <summary>Opens the row's data; throws <see cref="DomainException"/> or an I/O exception when it cannot be read.</summary>
    public async Task<OpenedDataset> OpenAsync(EvaluationRow row, CancellationToken ct)
    {
        string annotations, images;
        DatasetVersionInfo? version = null;
        if (row.DatasetVersion is { } id)
        {
            version = await FindVersionAsync(id, ct);
            var materialized = await datasets.MaterializeAsync(id, row.Split is AllSplits ? null : row.Split, ct);
            (annotations, images) = (materialized.AnnotationsPath, materialized.ImagesDirectory);
        }
        else
        {
            (annotations, images) = (DatasetPaths.Resolve(Settings, row.Annotations!), DatasetPaths.Resolve(Settings, row.Images!));
        }

        await using var stream = File.OpenRead(annotations);
        var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
        return new OpenedDataset(annotations, images, sha256, version);
    }
}
