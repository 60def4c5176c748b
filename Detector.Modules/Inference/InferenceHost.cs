using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Inference.Scheduling;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Inference;

/// <summary>A served model: its session and the scheduler in front of it.</summary>
internal sealed record LoadedModel(ModelManifest Manifest, OrtModelRunner Runner, BatchScheduler Scheduler, PipelineMetrics Metrics);

/// <summary>
/// Loads every model in the background at start (so /health/live answers at once), warms each
/// at every batch size up to its maximum, then reports ready. One session per model version
/// for the life of the process.
/// </summary>
internal sealed partial class InferenceHost(IModelCatalog catalog, IOptions<InferenceOptions> options, IInferenceFaults faults, ILoggerFactory loggerFactory)
    : IHostedService, IInferenceReadiness, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<InferenceHost>();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, LoadedModel> _models = new(StringComparer.Ordinal);
    private volatile bool _isReady;

    // Set once every model is loaded and never cleared: timers read it while the host stops.
    private LoadedModel[] _loaded = [];
    private Task? _loading;

    // A host stopped while it still loads (a short-lived test host, a pod killed during start-up)
    // stops loading between sessions, and disposal waits for that: no session is created after
    // the host let go of its models, and none is disposed while the loading thread still uses it.
    private readonly CancellationTokenSource _stopLoading = new();
    private int _disposed;

    public bool IsReady => _isReady;

    public string Provider { get; private set; } = "loading";

    public Task WhenReady => _ready.Task;

    /// <summary>Seconds of queued and running work across every model at its measured rate (they share the machine).</summary>
    public double BacklogSeconds()
    {
        var total = 0.0;
        foreach (var m in Volatile.Read(ref _loaded))
        {
            total += m.Scheduler.BacklogSeconds;
        }

        return total;
    }

    public IReadOnlyList<ExecutorHealth> Executors =>
        [.. Volatile.Read(ref _loaded).Select(m => new ExecutorHealth(m.Manifest.Name, m.Scheduler.Executors, m.Scheduler.UnhealthyExecutors))];

    public bool TryGet(string name, out LoadedModel model)
    {
        if (_isReady && _models.TryGetValue(name, out var m))
        {
            model = m;
            return true;
        }

        model = null!;
        return false;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(() => LoadAll(_stopLoading.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private void LoadAll(CancellationToken stop)
    {
        try
        {
            var o = options.Value;
            var providers = new HashSet<string>(StringComparer.Ordinal);

            // One budget of cores for every model's CPU runs (never more runtime threads than cores).
            var cores = new CoreBudget(Environment.ProcessorCount);
            foreach (var manifest in catalog.Models)
            {
                stop.ThrowIfCancellationRequested();
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var runner = OrtModelRunner.Load(manifest, o, _logger);
                var onCpu = runner.Provider == ProviderSelector.Cpu;
                var settings = SchedulerSettings.For(manifest.Name, o, onCpu);
                var slots = new List<IBatchExecutor>();
                var slotCount = SchedulerSettings.SlotsFor(manifest.Name, o, onCpu, Environment.ProcessorCount);
                for (var i = 0; i < slotCount; i++)
                {
                    if (stop.IsCancellationRequested)
                    {
                        runner.Dispose(); // its slots so far, and the probe session
                        stop.ThrowIfCancellationRequested();
                    }

                    var slot = runner.CreateSlot(settings.MaxBatchSize);
                    for (var b = 1; b <= settings.MaxBatchSize; b++)
                    {
                        slot.Run(b);
                    }

                    slots.Add(slot);
                }

                // Beside single-threaded slots, one all-cores session for a request that finds the
                // machine idle: it answers in the time of one run on every core (ADR 0014).
                IBatchExecutor? wide = null;
                if (onCpu && o.WideRunWhenIdle && cores.Cores > 1 && o.IntraOpThreads == 1)
                {
                    var wideSlot = runner.CreateSlot(1, intraOpThreads: 0);
                    wideSlot.Run(1);
                    wide = wideSlot;
                }

                var extras = new ExecutorOptions(wide, onCpu ? cores : null, faults);
                var scheduler = new BatchScheduler(manifest.Name, slots, settings, new SchedulerMetrics(manifest.Name, manifest.Version), loggerFactory.CreateLogger<BatchScheduler>(), extras);
                _models[manifest.Name] = new LoadedModel(manifest, runner, scheduler, new PipelineMetrics(manifest.Name, manifest.Version));
                providers.Add(runner.Provider);
                LogWarmed(_logger, manifest.Name, settings.MaxBatchSize, slotCount, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            Provider = string.Join(",", providers);
            LogReady(_logger, _models.Count, Provider);
            Volatile.Write(ref _loaded, [.. _models.Values]);
            _isReady = true;
            _ready.TrySetResult();
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

        foreach (var m in _models.Values)
        {
            await m.Scheduler.DisposeAsync();
            m.Runner.Dispose();
        }

        _models.Clear();
        _stopLoading.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} warmed at batch sizes 1..{MaxBatch} on {ExecutorSlots} executor slots in {ElapsedMs:F0} ms")]
    private static partial void LogWarmed(ILogger logger, string model, int maxBatch, int executorSlots, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inference ready: {Count} models on {Provider}")]
    private static partial void LogReady(ILogger logger, int count, string provider);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Loading models failed; the service stays not-ready")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);
}
