using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Datasets.Storage;

/// <summary>
/// Saves a built version, or answers the one with the same id: content addressing makes a
/// second cut of the same content the same version, never a copy.
/// </summary>
internal sealed partial class VersionWriter(DatasetStore store, ILogger<VersionWriter> logger)
{
    public async Task<(VersionRow Version, bool Created)> SaveAsync(string dataset, VersionContent content, string? parent, string source, string actor, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("datasets.save_version");
        activity?.SetTag("detector.dataset", dataset);
        activity?.SetTag("detector.dataset_version", content.Id);
        var created = await store.InsertAsync(dataset, content, parent, source, actor, ct);
        var row = await store.FindAsync(content.Id, ct)
            ?? throw new InvalidOperationException($"Dataset version {content.Id} was not found after it was saved.");
        if (created)
        {
            DatasetsMetrics.Versions.WithLabels(source).Inc();
            LogCreated(logger, content.Id, dataset, content.Entries.Count, source, actor);
        }
        else
        {
            DatasetsMetrics.Reused.WithLabels(source).Inc();
            LogReused(logger, content.Id, row.Dataset, source, actor);
        }

        return (row, created);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset version {VersionId} of {Dataset} created: {Images} image(s) by {Source} ({Actor})")]
    private static partial void LogCreated(ILogger logger, string versionId, string dataset, int images, string source, string actor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset version {VersionId} of {Dataset} already holds this content ({Source} by {Actor}): answered, not duplicated")]
    private static partial void LogReused(ILogger logger, string versionId, string dataset, string source, string actor);
}
