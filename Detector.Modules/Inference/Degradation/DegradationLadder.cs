using System.Diagnostics;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Detector.Modules.Inference.Degradation;

/// <summary>
/// Picks the model that serves a sync request from the measured backlog (the queued and running
/// work of every model, in seconds at each model's measured rate: on CPU they share the cores).
/// Rungs engage as soon as the backlog crosses their threshold and release only after it has
/// stayed well below it (<see cref="DegradationOptions.ReleaseFactor"/>) for
/// <see cref="DegradationOptions.ReleaseAfterMs"/>: hysteresis, so the ladder does not flap.
/// A timer reads the backlog every 50 ms (whether or not requests arrive, so the ladder also
/// releases while idle); a request only reads the rung in force.
/// </summary>
internal sealed partial class DegradationLadder : IDisposable
{
    private static readonly Gauge Level = Metrics.CreateGauge("detector_degradation_level", "Degradation ladder rung in force: 0 full model, 1 compressed variant, 2 lower resolution, 3 faster model.");

    private static readonly Gauge Backlog = Metrics.CreateGauge("detector_degradation_backlog_seconds", "Queued and running work across models, in seconds, as the ladder measures it.");

    private static readonly Counter Served = Metrics.CreateCounter("detector_degradation_served_total", "Sync requests by the rung that served them.", new CounterConfiguration { LabelNames = ["requested_model", "rung"] });

    private static readonly TimeSpan EvaluateEvery = TimeSpan.FromMilliseconds(50);

    private readonly InferenceHost _host;
    private readonly DegradationOptions _options;
    private readonly double _budgetSeconds;
    private readonly ILogger _logger;
    private readonly LadderLevel _ladder;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Timer? _timer;
    private int _level;

    public DegradationLadder(InferenceHost host, IModelCatalog catalog, IOptions<InferenceOptions> options, ILogger<DegradationLadder> logger)
    {
        _host = host;
        _options = options.Value.Degradation;
        _budgetSeconds = options.Value.SyncBudgetMs / 1000.0;
        _logger = logger;
        _ladder = new LadderLevel([_options.CompressedAt, _options.LowerResolutionAt, _options.FasterModelAt], _options.ReleaseFactor, TimeSpan.FromMilliseconds(_options.ReleaseAfterMs));
        foreach (var (model, steps) in _options.Models)
        {
            if (catalog.Find(model) is null)
            {
                continue;
            }

            foreach (var (standIn, _) in Rungs(steps))
            {
                if (standIn is not null && catalog.Find(standIn) is null)
                {
                    LogStandInNotServed(logger, model, standIn);
                }
            }
        }

        if (_options.Enabled && _budgetSeconds > 0 && _options.Models.Count > 0)
        {
            _timer = new Timer(_ => Evaluate(), null, EvaluateEvery, EvaluateEvery);
        }
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>The model to serve <paramref name="requested"/> with now, and the rung (null: the full model).</summary>
    public (string Model, string? Rung) Choose(string requested)
    {
        if (!_options.Enabled || _budgetSeconds <= 0 || !_options.Models.TryGetValue(requested, out var steps))
        {
            return (requested, null);
        }

        // The rung in force, or the nearest lower one this model has a stand-in for (loaded here).
        var rungs = Rungs(steps);
        for (var level = Volatile.Read(ref _level); level >= 1; level--)
        {
            if (Loaded(rungs[level - 1].Model))
            {
                return (rungs[level - 1].Model!, rungs[level - 1].Rung);
            }
        }

        return (requested, null);
    }

    /// <summary>A model's stand-ins by rung: 1 compressed, 2 lower resolution, 3 faster model.</summary>
    private static (string? Model, string Rung)[] Rungs(DegradationSteps steps) =>
        [(steps.Compressed, DegradationRungs.Compressed), (steps.LowerResolution, DegradationRungs.LowerResolution), (steps.FasterModel, DegradationRungs.FasterModel)];

    /// <summary>Counts a sync request served (not merely routed: refusals and failures are not served).</summary>
    public static void CountServed(string requested, string? rung) => Served.WithLabels(requested, rung ?? DegradationRungs.Full).Inc();

    private bool Loaded(string? model) => model is not null && _host.TryGet(model, out _);

    /// <summary>On the timer only (callbacks do not overlap: a slow one is skipped, not queued behind).</summary>
    private void Evaluate()
    {
        if (!Monitor.TryEnter(_ladder))
        {
            return;
        }

        // A timer callback's exception would end the process: a failed evaluation keeps the rung
        // and is logged; the next tick tries again.
        try
        {
            var share = _host.BacklogSeconds() / _budgetSeconds;
            Backlog.Set(share * _budgetSeconds);
            var from = _ladder.Level;
            if (_ladder.Update(share, Stopwatch.GetElapsedTime(_started)))
            {
                LogLevelChanged(_logger, from, _ladder.Level, share * _budgetSeconds * 1000);
                Volatile.Write(ref _level, _ladder.Level);
                Level.Set(_ladder.Level);
            }
        }
        catch (Exception ex)
        {
            LogEvaluationFailed(_logger, ex);
        }
        finally
        {
            Monitor.Exit(_ladder);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Degradation ladder of {Model}: stand-in {StandIn} is not served by this instance (Models:Enabled), so that rung is skipped")]
    private static partial void LogStandInNotServed(ILogger logger, string model, string standIn);

    [LoggerMessage(Level = LogLevel.Error, Message = "Degradation ladder: evaluating the backlog failed; the rung stays")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Degradation ladder: rung {From} -> {To} at a backlog of {BacklogMs:F0} ms")]
    private static partial void LogLevelChanged(ILogger logger, int from, int to, double backlogMs);
}
