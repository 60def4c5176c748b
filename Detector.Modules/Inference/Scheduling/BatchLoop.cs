using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One dedicated thread per executor slot: take a due batch from the queue, fail what expired in
/// it, and hand the rest to <see cref="BatchDispatch"/> (which executor and cores run it), which
/// runs it through <see cref="BatchExecution"/> (copy in, run, complete each request) and
/// <see cref="ExecutorRecovery"/> (recreate a failed session). Executors block in the model run for
/// tens of milliseconds, so they stay off the thread pool that serves HTTP and decoding. Nothing
/// here allocates per image: batch arrays are per thread and outputs come from the model's pool.
/// </summary>
internal sealed partial class BatchLoop : IAsyncDisposable
{
    private readonly string _model;
    private readonly int _maxBatch;
    private readonly WorkQueue _queue;
    private readonly SchedulerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly BatchExecution _execution;
    private readonly ExecutorRecovery _recovery;
    private readonly BatchDispatch _dispatch;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private readonly Thread[] _threads;

    public BatchLoop(string model, IReadOnlyList<IBatchExecutor> executors, int maxBatch, WorkQueue queue, AdmissionControl admission, TensorPool outputs, SchedulerMetrics metrics, ILogger logger, ExecutorOptions? extras = null)
    {
        _model = model;
        _maxBatch = maxBatch;
        _queue = queue;
        _metrics = metrics;
        _logger = logger;
        var faults = extras?.Faults ?? NoInferenceFaults.Instance;
        _execution = new BatchExecution(model, executors.Count, admission, outputs, metrics, faults, logger);
        _recovery = new ExecutorRecovery(model, metrics, faults, logger);
        _dispatch = new BatchDispatch(extras?.Wide, extras?.Cores, admission, _execution, _recovery);
        _threads = new Thread[executors.Count];
        for (var i = 0; i < executors.Count; i++)
        {
            var executor = executors[i];
            _threads[i] = new Thread(() => Run(executor)) { IsBackground = true, Name = $"batch:{model}:{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Batch threads busy recreating a failed executor's session (the wide one included); when it equals their count the model serves nothing.</summary>
    public int UnhealthyExecutors => _recovery.Unhealthy;

    /// <summary>Stops taking batches, waits for running ones, and fails what is still queued with a 503.</summary>
    public async ValueTask DisposeAsync()
    {
        // Once: a second CancelAsync on the disposed source would throw.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        await Task.Run(() =>
        {
            foreach (var thread in _threads)
            {
                thread.Join();
            }
        });
        foreach (var item in _queue.Drain())
        {
            item.Registration.Dispose();
            item.Completion.TrySetException(new DomainException(OutcomeKind.Overloaded, ErrorCodes.Overloaded, "Shutting down", "The service is shutting down; retry on another instance.") { RetryAfterSeconds = 1 });
        }

        _stopping.Dispose();
    }

    private void Run(IBatchExecutor executor)
    {
        var batch = new WorkItem[_maxBatch];
        var expired = new WorkItem[_maxBatch];
        var stop = _stopping.Token;
        while (!stop.IsCancellationRequested)
        {
            var (taken, dropped) = _queue.Take(batch, expired, stop);
            Expire(expired, dropped);
            if (taken > 0)
            {
                var background = batch[0].Priority == DetectionPriority.Background;
                try
                {
                    _dispatch.Dispatch(executor, batch, taken, stop);
                }
                catch (Exception ex)
                {
                    // This thread is the model's: an exception leaving it would end the process.
                    // Whatever escaped the run's own handling fails the batch's open requests instead.
                    LogDispatchFailed(_logger, _model, taken, ex);
                    _execution.Fail(batch, 0, taken, ex);
                }
                finally
                {
                    _queue.BatchDone(background);
                }
            }
        }
    }

    /// <summary>Requests whose deadline passed in the queue are answered without inference.</summary>
    private void Expire(WorkItem[] expired, int dropped)
    {
        for (var i = 0; i < dropped; i++)
        {
            _metrics.Expired.Inc();
            expired[i].Registration.Dispose();
            expired[i].Completion.TrySetException(new DomainException(OutcomeKind.DeadlineExceeded, ErrorCodes.DeadlineExceeded, "Deadline exceeded", "The request's deadline passed while it waited for inference."));
            expired[i] = null!;
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Dispatching a batch of {BatchSize} on model {Model} failed outside the run; its requests failed, the executor thread goes on")]
    private static partial void LogDispatchFailed(ILogger logger, string model, int batchSize, Exception exception);
}

/// <summary>What a batch loop may have beside its single-threaded slots.</summary>
/// <param name="Wide">An executor whose runs use every core, for a request that finds the machine idle (CPU only).</param>
/// <param name="Cores">The cores every model's runs share; null on a GPU.</param>
/// <param name="Faults">Fault injection for chaos tests.</param>
internal sealed record ExecutorOptions(IBatchExecutor? Wide = null, CoreBudget? Cores = null, IInferenceFaults? Faults = null);
