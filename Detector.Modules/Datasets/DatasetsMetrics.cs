using Prometheus;

namespace Detector.Modules.Datasets;

/// <summary>The module's Prometheus series.</summary>
internal static class DatasetsMetrics
{
    public static readonly Counter Versions = Metrics.CreateCounter(
        "detector_dataset_versions_total", "Dataset versions created, by how (import, cut).", "source");

    public static readonly Counter Reused = Metrics.CreateCounter(
        "detector_dataset_versions_reused_total", "Imports and cuts whose content was an existing version (answered, not duplicated).", "source");

    public static readonly Counter EntriesErased = Metrics.CreateCounter(
        "detector_dataset_entries_erased_total", "Dataset entries erased (their version kept its id and became incomplete), by reason.", "reason");

    public static readonly Histogram MaterializeSeconds = Metrics.CreateHistogram(
        "detector_dataset_materialize_seconds", "Time to write a version's export (images and annotations).");
}
