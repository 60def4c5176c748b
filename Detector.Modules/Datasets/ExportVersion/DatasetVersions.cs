using System.Diagnostics;
using System.Globalization;
using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Datasets.Storage;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Datasets.ExportVersion;

/// <summary>
/// <see cref="IDatasetVersions"/>: versions by id, and their exports materialized once under the
/// work directory. A folder is written beside its final place and moved there whole, with a marker
/// naming how many entries were erased when it was written: an erase since (on this instance, or
/// another that could not remove this one's folder) makes it stale and it is written again.
/// </summary>
internal sealed partial class DatasetVersions(DatasetStore store, VersionExporter exporter, WorkFolders work, ILogger<DatasetVersions> logger) : IDatasetVersions, IDisposable
{
    private const string Marker = ".materialized";
    private readonly SemaphoreSlim _writing = new(1, 1);

    public async Task<DatasetVersionInfo?> FindAsync(string versionId, CancellationToken cancellationToken) =>
        VersionIds.IsValid(versionId) && await store.FindAsync(versionId, cancellationToken) is { } row ? Info(row) : null;

    public static DatasetVersionInfo Info(VersionRow row) =>
        new(row.Id, row.Dataset, row.Images, row.Erased, row.AnnotationsSha256, row.ExportSha256, new DateTimeOffset(DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc)));

    public async Task<MaterializedDataset> MaterializeAsync(string versionId, string? split, CancellationToken cancellationToken)
    {
        if (split is not null && !Splits.Each.Contains(split, StringComparer.Ordinal))
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Unknown split", $"A split is train, val or test, not '{split}'.");
        }

        var row = (VersionIds.IsValid(versionId) ? await store.FindAsync(versionId, cancellationToken) : null)
            ?? throw VersionIds.NotFound(versionId);
        var folder = work.FolderOf(row.Id);
        var stamp = row.Erased.ToString(CultureInfo.InvariantCulture);
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var marker = Path.Combine(folder, Marker);
            if (!File.Exists(marker) || await File.ReadAllTextAsync(marker, cancellationToken) != stamp)
            {
                var started = Stopwatch.GetTimestamp();
                var staging = folder + ".tmp-" + Guid.NewGuid().ToString("N");
                try
                {
                    await exporter.WriteAsync(row, staging, cancellationToken);
                    await File.WriteAllTextAsync(Path.Combine(staging, Marker), stamp, cancellationToken);
                    work.Remove(row.Id);
                    Directory.Move(staging, folder);
                }
                finally
                {
                    if (Directory.Exists(staging))
                    {
                        Directory.Delete(staging, recursive: true);
                    }
                }

                DatasetsMetrics.MaterializeSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                LogMaterialized(logger, row.Id, row.Images - row.Erased, row.Erased);
            }
        }
        finally
        {
            _writing.Release();
        }

        return new MaterializedDataset(row.Id, Path.Combine(folder, ExportLayout.AnnotationsFile(split ?? Splits.All)), Path.Combine(folder, ExportLayout.ImagesFolder));
    }

    public void Dispose() => _writing.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Materialized dataset version {VersionId}: {Images} image(s), {Erased} erased entries left out")]
    private static partial void LogMaterialized(ILogger logger, string versionId, int images, int erased);
}

/// <summary>Version ids: 64 lower-case hex digits.</summary>
internal static class VersionIds
{
    public static bool IsValid(string? id) => id is { Length: 64 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static DomainException NotFound(string id) =>
        new(OutcomeKind.NotFound, ErrorCodes.DatasetVersionNotFound, "Dataset version not found", $"No dataset version '{id}'.");
}
