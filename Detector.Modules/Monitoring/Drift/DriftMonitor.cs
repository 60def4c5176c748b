using System.Collections.Concurrent;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Detector.Modules.Monitoring.Drift;

/// <summary>
/// Told of every served detection (Inference's observer): counts it into its version's baseline or
/// current window, and when a window completes publishes each feature's PSI against the baseline
/// and whether it passed the threshold. Background work (evaluations, jobs at background priority)
/// is not traffic and is left out. On the request path: a lock per version and a few increments.
/// </summary>
internal sealed partial class DriftMonitor(IOptions<MonitoringOptions> options, ILogger<DriftMonitor> logger) : IDetectionObserver
{
    private static readonly Gauge PsiGauge = Metrics.CreateGauge("detector_drift_psi", "Population stability index of the last complete window of a version's traffic against its baseline (its first requests), per feature.", new GaugeConfiguration { LabelNames = ["model", "version", "feature"] });

    private static readonly Gauge Exceeded = Metrics.CreateGauge("detector_drift_threshold_exceeded", "1 when the feature's PSI in the last complete window is above Monitoring:Drift:PsiThreshold, else 0.", new GaugeConfiguration { LabelNames = ["model", "version", "feature"] });

    private static readonly Counter Windows = Metrics.CreateCounter("detector_drift_windows_total", "Complete drift windows per version (each gives one PSI per feature).", new CounterConfiguration { LabelNames = ["model", "version"] });

    private readonly ConcurrentDictionary<(string Model, string Version), VersionDrift> _versions = new();
    private readonly DriftOptions _options = options.Value.Drift;

    public bool WantsInput => _options.Enabled;

    public void Observe(ObservedDetection detection)
    {
        if (!_options.Enabled || detection.Outcome is not null || detection.Input is not { } input || detection.Priority == DetectionPriority.Background)
        {
            return;
        }

        var drift = _versions.GetOrAdd((detection.Model, detection.Version), _ => new VersionDrift(_options.BaselineRequests, _options.WindowRequests));
        IReadOnlyDictionary<string, double>? psi;
        lock (drift)
        {
            psi = drift.Add(detection, input);
        }

        if (psi is not null)
        {
            Publish(detection.Model, detection.Version, psi);
        }
    }

    private void Publish(string model, string version, IReadOnlyDictionary<string, double> psi)
    {
        Windows.WithLabels(model, version).Inc();
        foreach (var (feature, value) in psi)
        {
            PsiGauge.WithLabels(model, version, feature).Set(value);
            var over = value > _options.PsiThreshold;
            Exceeded.WithLabels(model, version, feature).Set(over ? 1 : 0);
            if (over)
            {
                LogDrift(logger, model, version, feature, value, _options.PsiThreshold);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drift on {Model}@{Version}: {Feature} PSI {Psi:F3} above {Threshold} in the last window")]
    private static partial void LogDrift(ILogger logger, string model, string version, string feature, double psi, double threshold);
}
