using Prometheus;

namespace Detector.Modules.Training;

/// <summary>Prometheus series of training-run records and lineage.</summary>
internal static class TrainingMetrics
{
    public static readonly Counter Runs = Metrics.CreateCounter(
        "detector_training_runs_total", "Training-run records posted, by outcome (recorded, replayed: the same record again, refused: with its code).", new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter Lineage = Metrics.CreateCounter(
        "detector_lineage_requests_total", "Lineage answers, by outcome (found, not_found).", new CounterConfiguration { LabelNames = ["outcome"] });
}
