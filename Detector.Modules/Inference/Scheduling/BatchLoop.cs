using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Common.Resilience;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One dedicated thread per executor slot: take a due batch from the queue, copy its inputs into
/// a slot, run the model, hand each request its output. Executors block in the model run for
/// tens of milliseconds, so they stay off the thread pool that serves HTTP and decoding. Nothing
/// here allocates per image: batch arrays are per thread and outputs come from the model's pool.
/// A request that finds the machine idle runs on the wide executor (every core) instead of its
/// thread's single-threaded slot; a failed run fails its batch only, and the slot's session is
/// recreated before that thread takes another batch.
/// </summary>
internal sealed partial class BatchLoop : IAsyncDisposable
{
    // A session that cannot be recreated (the device gone, memory short) is tried again soon, then
    // every ten seconds at most, jittered so the threads of several models do not retry together.
    private static readonly TimeSpan RecoveryInitialDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RecoveryMaxDelay = TimeSpan.FromSeconds(10);

    private readonly string _model;
    private readonly IReadOnlyList<IBatchExecutor> _executors;
    private readonly IBatchExecutor? _wide;
    private readonly CoreBudget? _cores;
    private readonly IInferenceFaults _faults;
    private readonly int _maxBatch;
    private readonly WorkQueue _queue;
    private readonly AdmissionControl _admission;
    private readonly TensorPool _outputs;
    private readonly SchedulerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread[] _threads;
    private int _unhealthy;
    private volatile bool _wideHealthy = true;

    public BatchLoop(string model, IReadOnlyList<IBatchExecutor> executors, int maxBatch, WorkQueue queue, AdmissionControl admission, TensorPool outputs, SchedulerMetrics metrics, ILogger logger, ExecutorOptions? extras = null)
    {
        _model = model;
        _executors = executors;
        _wide = extras?.Wide;
        _cores = extras?.Cores;
        _faults = extras?.Faults ?? NoInferenceFaults.Instance;
        _maxBatch = maxBatch;
        _queue = queue;
        _admission = admission;
        _outputs = outputs;
        _metrics = metrics;
        _logger = logger;
        _threads = new Thread[executors.Count];
        for (var i = 0; i < executors.Count; i++)
        {
            var executor = executors[i];
            _threads[i] = new Thread(() => Run(executor)) { IsBackground = true, Name = $"batch:{model}:{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Batch threads busy recreating a failed executor's session (the wide one included); when it equals their count the model serves nothing.</summary>
    public int UnhealthyExecutors => Volatile.Read(ref _unhealthy);

    /// <summary>Stops taking batches, waits for running ones, and fails what is still queued with a 503.</summary>
    public async ValueTask DisposeAsync()
    {
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
            item.Completion.TrySetException(new ProblemException(503, ErrorCodes.Overloaded, "Shutting down", "The service is shutting down; retry on another instance.") { RetryAfterSeconds = 1 });
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
            for (var i = 0; i < dropped; i++)
            {
                _metrics.Expired.Inc();
                expired[i].Registration.Dispose();
                expired[i].Completion.TrySetException(new ProblemException(504, ErrorCodes.DeadlineExceeded, "Deadline exceeded", "The request's deadline passed while it waited for inference."));
                expired[i] = null!;
            }

            if (taken > 0)
            {
                var background = batch[0].Priority == DetectionPriority.Background;
                Dispatch(executor, batch, taken, stop);
                _queue.BatchDone(background);
            }
        }
    }

    private void Dispatch(IBatchExecutor narrow, WorkItem[] batch, int n, CancellationToken stop)
    {
        // One request alone on an idle machine runs on every core: a single-threaded run is the
        // throughput layout, but it leaves the other cores idle while this caller waits. Alone
        // means nothing else of this model admitted (decoding counts: a decode beside a two-thread
        // run makes it wait for its slower thread, measured 39 ms instead of 13 at c=4) and no
        // other run holding a core.
        if (n == 1 && _wide is { } wide && _wideHealthy && _admission.Admitted <= 1 && _cores is not null && _cores.TryTakeAll())
        {
            var ran = false;
            var wideFailed = false;
            try
            {
                // Checked again with the cores held: a failed wide run is marked unhealthy before
                // its cores are given back, so no thread can start a run on a session being rebuilt.
                if (_wideHealthy)
                {
                    ran = true;
                    wideFailed = Execute(wide, batch, 0, n, wide: true);
                    if (wideFailed)
                    {
                        _wideHealthy = false;
                    }
                }
            }
            finally
            {
                _cores.Give(_cores.Cores);
            }

            if (wideFailed)
            {
                Recover(wide, isWide: true, stop);
                return;
            }

            if (ran)
            {
                return; // served
            }
        }

        var held = _cores?.Take(narrow.Threads, stop) ?? 0;
        bool failed;
        try
        {
            failed = Execute(narrow, batch, 0, n, wide: false);
        }
        finally
        {
            _cores?.Give(held);
        }

        if (failed)
        {
            Recover(narrow, isWide: false, stop);
        }
    }

    /// <summary>Runs batch[offset..offset+count) and completes its requests; true when the executor failed and needs recovering.</summary>
    private bool Execute(IBatchExecutor executor, WorkItem[] batch, int offset, int count, bool wide)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            batch[offset + i].Input.AsSpan(0, executor.InputLength).CopyTo(executor.InputSlot(i));
        }

        try
        {
            _faults.BeforeRun(_model, count);
            executor.Run(count);
        }
        catch (Exception ex) when (count > 1 && IsOutOfMemory(ex))
        {
            // A batch too large for the device's memory fails for its size, not its images: the
            // halves are tried before any request is failed.
            _metrics.Split.Inc();
            LogSplit(_logger, _model, count);
            var half = count / 2;
            if (Execute(executor, batch, offset, half, wide))
            {
                // The session broke on the first half: the second is not run on it.
                Fail(batch, offset + half, count - half, ex);
                return true;
            }

            return Execute(executor, batch, offset + half, count - half, wide);
        }
        catch (Exception ex)
        {
            // Only this batch fails; the caller recreates the executor's session before its next one.
            LogBatchFailed(_logger, _model, count, ex);
            Fail(batch, offset, count, ex);
            return true;
        }

        var end = Stopwatch.GetTimestamp();
        var inferenceMs = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
        if (wide)
        {
            // Wide runs happen only when nothing waits, so they say nothing about throughput under load.
            _metrics.WideRuns.Inc();
        }
        else
        {
            _metrics.NarrowRuns.Inc();
            _admission.RecordBatch(count, inferenceMs, _executors.Count);
        }

        _metrics.BatchSize.Observe(count);
        _metrics.InferenceSeconds.Observe(inferenceMs / 1000.0);
        for (var i = 0; i < count; i++)
        {
            var item = batch[offset + i];
            batch[offset + i] = null!;
            var queueMs = Stopwatch.GetElapsedTime(item.EnqueuedTimestamp, start).TotalMilliseconds;
            _metrics.QueueWaitSeconds.Observe(queueMs / 1000.0);
            var output = _outputs.Rent();
            executor.CopyOutput(i, output);
            item.Output = output;
            item.Registration.Dispose();
            if (!item.Completion.TrySetResult(new BatchInfo(count, queueMs, inferenceMs)))
            {
                item.Output = null;
                _outputs.Return(output);
            }
        }

        return false;
    }

    private void Fail(WorkItem[] batch, int offset, int count, Exception ex)
    {
        _metrics.Failed.Inc(count);
        for (var i = offset; i < offset + count; i++)
        {
            batch[i].Registration.Dispose();
            batch[i].Completion.TrySetException(new ProblemException(503, ErrorCodes.InferenceFailed, "Inference failed", "The model failed to run this batch; retry later.", ex) { RetryAfterSeconds = 1 });
            batch[i] = null!;
        }
    }

    /// <summary>
    /// Recreates a failed executor's session on this thread (so it takes no batch meanwhile),
    /// retrying with backoff while that fails; readiness reports the executor unhealthy until then.
    /// </summary>
    private void Recover(IBatchExecutor executor, bool isWide, CancellationToken stop)
    {
        // Counted per thread: the recovery runs on the batch thread, which takes no batch meanwhile.
        _metrics.UnhealthyExecutors.Set(Interlocked.Increment(ref _unhealthy));
        var started = Stopwatch.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            try
            {
                _faults.BeforeRecover(_model);
                executor.Recover();
                break;
            }
            catch (Exception ex)
            {
                LogRecoveryFailed(_logger, _model, ex);
                if (stop.WaitHandle.WaitOne(Backoff.Jittered(++attempt, RecoveryInitialDelay, RecoveryMaxDelay)))
                {
                    return; // stopping: the process is going away with it
                }
            }
        }

        _metrics.Recovered.Inc();
        if (isWide)
        {
            _wideHealthy = true;
        }

        _metrics.UnhealthyExecutors.Set(Interlocked.Decrement(ref _unhealthy));

        LogRecovered(_logger, _model, isWide ? "wide" : "narrow", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The runtime's words for an allocation that failed (CUDA and its arena, or the CPU allocator).</summary>
    private static bool IsOutOfMemory(Exception ex) =>
        ex is OutOfMemoryException
        || ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("Failed to allocate memory", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch of {BatchSize} failed on model {Model}")]
    private static partial void LogBatchFailed(ILogger logger, string model, int batchSize, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch of {BatchSize} on model {Model} ran out of memory; retrying it in halves")]
    private static partial void LogSplit(ILogger logger, string model, int batchSize);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recreating a session of model {Model} failed; trying again")]
    private static partial void LogRecoveryFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: a {Layout} executor's session was recreated after a failed run in {ElapsedMs:F0} ms")]
    private static partial void LogRecovered(ILogger logger, string model, string layout, double elapsedMs);
}

/// <summary>What a batch loop may have beside its single-threaded slots.</summary>
/// <param name="Wide">An executor whose runs use every core, for a request that finds the machine idle (CPU only).</param>
/// <param name="Cores">The cores every model's runs share; null on a GPU.</param>
/// <param name="Faults">Fault injection for chaos tests.</param>
internal sealed record ExecutorOptions(IBatchExecutor? Wide = null, CoreBudget? Cores = null, IInferenceFaults? Faults = null);
