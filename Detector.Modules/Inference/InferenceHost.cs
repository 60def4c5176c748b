using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Loading;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Inference.Scheduling;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Detector.Modules.Inference;

/// <summary>A served model version: its sessions and the scheduler in front of them.</summary>
internal sealed record LoadedModel(ModelManifest Manifest, OrtModelRunner Runner, BatchScheduler Scheduler, PipelineMetrics Metrics)
{
    /// <summary><c>name@version</c>.</summary>
    public string Key { get; } = ServingTable.Key(Manifest.Name, Manifest.Version);
}

/// <summary>
/// Follows the model registry: loads and warms every active version in the background (so
/// /health/live answers at once), publishes each one only once it is warm, moves aliases here
/// when their new version is ready, and unloads versions nothing needs any more. Readiness is
/// reached once, after the first pass, and never flips while versions come and go. A version whose
/// artifact fails its sha256 check is refused and reported; a version that fails to load leaves
/// everything that serves as it was.
/// </summary>
internal sealed partial class InferenceHost(IModelCatalog catalog, IModelVersionReports reports, IOptions<InferenceOptions> options, IInferenceFaults faults, ILoggerFactory loggerFactory)
    : IHostedService, IInferenceReadiness, IInferenceLoad, IAsyncDisposable
{
    private static readonly Counter LoadFailures = Metrics.CreateCounter(
        "detector_model_load_failures_total",
        "Model versions that failed to load on this instance, by model, version and reason (artifact_mismatch, error).",
        new CounterConfiguration { LabelNames = ["model", "version", "reason"] });


    private readonly ILogger _logger = loggerFactory.CreateLogger<InferenceHost>();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, LoadedModel> _loaded = new(StringComparer.Ordinal); // the loading loop's own
    private readonly VersionUnloader _unloader = new(options.Value, loggerFactory);
    private readonly CoreBudget _cores = new(Environment.ProcessorCount); // one budget for every version's CPU runs
    private volatile ServingTable _table = ServingTable.Empty;
    private volatile bool _isReady;
    private Task? _loading;

    // A host stopped while it still loads (a short-lived test host, a pod killed during start-up)
    // stops loading between sessions, and disposal waits for that: no session is created after
    // the host let go of its models, and none is disposed while the loading thread still uses it.
    private readonly CancellationTokenSource _stopLoading = new();
    private int _disposed;

    public bool IsReady => _isReady;

    public string Provider { get; private set; } = "loading";

    public Task WhenReady => _ready.Task;

    /// <summary>Seconds of queued and running work across every version at its measured rate (they share the machine).</summary>
    public double BacklogSeconds()
    {
        var total = 0.0;
        foreach (var m in _table.All)
        {
            total += m.Scheduler.BacklogSeconds;
        }

        return total;
    }

    public int InteractiveInFlight
    {
        get
        {
            var total = 0;
            foreach (var m in _table.All)
            {
                total += m.Scheduler.InteractiveInFlight;
            }

            return total;
        }
    }

    public IReadOnlyList<ExecutorHealth> Executors =>
        [.. _table.All.Select(m => new ExecutorHealth(m.Key, m.Scheduler.Executors, m.Scheduler.UnhealthyExecutors))];

    /// <summary>The version serving <paramref name="selector"/> here: <c>name</c> (production), <c>name@version</c> or <c>name@alias</c>.</summary>
    public bool TryGet(string selector, out LoadedModel model)
    {
        if (_isReady && _table.TryGet(selector, out model))
        {
            return true;
        }

        model = null!;
        return false;
    }

    /// <summary>The version an unpinned request for <paramref name="name"/> from <paramref name="subject"/> gets here, and its variant (<see cref="ServingTable.TryRoute"/>).</summary>
    public bool TryRoute(string name, string subject, out LoadedModel model, out string variant)
    {
        if (_isReady && _table.TryRoute(name, subject, out model, out variant))
        {
            return true;
        }

        (model, variant) = (null!, ModelAliases.Production);
        return false;
    }

    /// <summary>The aliases that name <paramref name="model"/> on this instance (what a result records as its variant).</summary>
    public IEnumerable<string> AliasesOf(LoadedModel model) => _table.AliasesOf(model);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(() => FollowAsync(_stopLoading.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task FollowAsync(CancellationToken stop)
    {
        var loader = new VersionLoader(options.Value, _cores, faults, loggerFactory);
        try
        {
            var changed = catalog.Watch(); // taken before the snapshot: a change after it is not missed
            await ReconcileAsync(loader, catalog.Snapshot, stop);
            if (_loaded.Count == 0)
            {
                throw new InvalidOperationException("No model version could be loaded.");
            }

            _isReady = true;
            _ready.TrySetResult();
            LogReady(_logger, _loaded.Count, Provider);
            while (true)
            {
                await WaitAsync(changed, stop);
                changed = catalog.Watch();
                await ReconcileAsync(loader, catalog.Snapshot, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _ready.TrySetCanceled(stop);
        }
        catch (Exception ex)
        {
            LogLoadFailed(_logger, ex);
            _ready.TrySetException(ex);
        }
    }

    private static async Task WaitAsync(Microsoft.Extensions.Primitives.IChangeToken token, CancellationToken stop)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), fired);
        await fired.Task.WaitAsync(stop);
    }

    /// <summary>Loads what the snapshot needs (production versions first), publishing each as it is warm, then unloads what nothing needs.</summary>
    private async Task ReconcileAsync(VersionLoader loader, RegistrySnapshot snapshot, CancellationToken stop)
    {
        var wanted = snapshot.Active
            .OrderByDescending(v => snapshot.Model(v.Manifest.Name)?.Aliases.Values.Contains(v.Version) == true)
            .Where(v => !_loaded.ContainsKey(ServingTable.Key(v.Manifest.Name, v.Version)))
            .ToList();
        foreach (var version in wanted)
        {
            stop.ThrowIfCancellationRequested();
            var m = version.Manifest;
            try
            {
                var loaded = await Task.Run(() => loader.Load(m, stop), stop);
                _loaded[loaded.Key] = loaded;
                VersionUnloader.Loaded.Inc();
                Provider = string.Join(",", _loaded.Values.Select(l => l.Runner.Provider).Distinct());
                Publish(snapshot);
            }
            catch (ArtifactMismatchException ex)
            {
                LoadFailures.WithLabels(m.Name, m.Version, "artifact_mismatch").Inc();
                await reports.RefuseAsync(m.Name, m.Version, ex.Message, stop);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                LoadFailures.WithLabels(m.Name, m.Version, "error").Inc();
                LogVersionFailed(_logger, m.Name, m.Version, ex);
            }
        }

        Publish(snapshot);
        foreach (var unneeded in _table.Unneeded(_loaded).ToList())
        {
            _loaded.Remove(unneeded.Key);
            _unloader.Unload(unneeded, stop);
        }
    }

    private void Publish(RegistrySnapshot snapshot) => _table = _table.Next(snapshot, _loaded);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host whose start failed, or a test host torn down out of order, may stop it after
        // disposing it: then there is nothing left to stop (and its token source is gone).
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        try
        {
            await _stopLoading.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            return; // disposed meanwhile, by the container: loading was stopped there
        }

        if (_loading is not null)
        {
            await _loading.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered under several services, so the container may dispose it more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _isReady = false;
        await _stopLoading.CancelAsync();
        if (_loading is not null)
        {
            // Loading ends at its next step (its own failures are already reported); only then
            // are the sessions it made ours to dispose.
            await _loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _unloader.WhenAllAsync();
        foreach (var m in _loaded.Values)
        {
            await m.Scheduler.DisposeAsync();
            m.Runner.Dispose();
            VersionUnloader.Loaded.Dec();
        }

        _loaded.Clear();
        _table = ServingTable.Empty;
        _stopLoading.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inference ready: {Count} model versions on {Provider}")]
    private static partial void LogReady(ILogger logger, int count, string provider);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Loading models failed; the service stays not-ready")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} version {Version} failed to load; what serves is unchanged")]
    private static partial void LogVersionFailed(ILogger logger, string model, string version, Exception exception);
}
