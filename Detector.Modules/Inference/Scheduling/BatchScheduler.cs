using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// The dynamic-batching scheduler of one model version. Requests wait in a bounded two-level
/// queue (interactive before background). An executor forms a batch when the queue holds a full
/// batch, when the oldest request has waited the max delay, or at once when no executor of this
/// model is busy: waiting only pays off while the model is already working.
/// </summary>
internal sealed partial class BatchScheduler : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<WorkItem>[] _queues = [new(), new()];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly IReadOnlyList<IBatchExecutor> _executors;
    private readonly SchedulerSettings _settings;
    private readonly SchedulerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Thread[] _loops;
    private readonly TensorPool _inputs;
    private readonly TensorPool _outputs;
    private readonly long _maxQueueWaitTicks;
    private readonly long _maxDelayTicks;
    private int _queued;
    private int _admitted;
    private int _admittedInteractive;
    private int _busy;
    private double _imagesPerSecond;

    public BatchScheduler(string model, IReadOnlyList<IBatchExecutor> executors, SchedulerSettings settings, SchedulerMetrics metrics, ILogger logger)
    {
        if (executors.Count == 0)
        {
            throw new ArgumentException("At least one executor is needed.", nameof(executors));
        }

        Model = model;
        _executors = executors;
        _settings = settings with { MaxBatchSize = Math.Min(settings.MaxBatchSize, executors[0].MaxBatch) };
        _metrics = metrics;
        _logger = logger;
        _maxDelayTicks = (long)(settings.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        _maxQueueWaitTicks = (long)(settings.MaxQueueWait.TotalSeconds * Stopwatch.Frequency);

        // Pools per model, sized for every admitted request's input plus every output in flight,
        // so steady traffic reuses buffers instead of allocating megabyte arrays on the LOH.
        var buffersInFlight = settings.QueueCapacity + (executors.Count * _settings.MaxBatchSize);
        var allocated = metrics.BuffersAllocated;
        Action countAllocation = () => allocated.Inc();
        _inputs = new TensorPool(executors[0].InputLength, buffersInFlight, countAllocation);
        _outputs = executors[0].OutputLength == executors[0].InputLength ? _inputs : new TensorPool(executors[0].OutputLength, buffersInFlight, countAllocation);
        // What a full pipeline holds (a running and a waiting batch per executor) exists from the
        // start; growth beyond that happens only while more requests are in flight than ever before.
        var pipeline = 2 * executors.Count * _settings.MaxBatchSize;
        _inputs.Prefill(pipeline);
        _outputs.Prefill(pipeline);

        // Executors block in the model run for tens of milliseconds; dedicated threads keep that
        // off the thread pool, which serves HTTP and decoding.
        _loops = new Thread[executors.Count];
        for (var i = 0; i < executors.Count; i++)
        {
            var executor = executors[i];
            _loops[i] = new Thread(() => RunLoop(executor)) { IsBackground = true, Name = $"batch:{model}:{i}" };
            _loops[i].Start();
        }
    }

    /// <summary>An input tensor buffer of exactly <see cref="InputLength"/> floats from this model's pool.</summary>
    public float[] RentInput() => _inputs.Rent();

    /// <summary>Gives back an input or output buffer obtained from this scheduler.</summary>
    public void Return(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        (buffer.Length == _inputs.Length ? _inputs : _outputs).Return(buffer);
    }

    public string Model { get; }

    public int InputLength => _executors[0].InputLength;

    public int OutputLength => _executors[0].OutputLength;

    public SchedulerSettings Settings => _settings;

    public int QueueDepth => Volatile.Read(ref _queued);

    /// <summary>
    /// Reserves room for one request before it is preprocessed, so an overloaded model refuses
    /// in microseconds instead of decoding an image it cannot serve.
    /// </summary>
    /// <remarks>
    /// Interactive requests also face the wait budget, judged on the interactive work ahead of
    /// them (they overtake background work in the queue). Background work only needs room: it
    /// has no caller waiting, so it queues rather than bounce and retry.
    /// </remarks>
    public bool TryAdmit(DetectionPriority priority = DetectionPriority.Interactive)
    {
        var interactive = priority == DetectionPriority.Interactive;
        if (interactive && WaitWouldExceedBudget(Volatile.Read(ref _admittedInteractive)))
        {
            _metrics.Rejected.Inc();
            return false;
        }

        while (true)
        {
            var current = Volatile.Read(ref _admitted);
            if (current >= _settings.QueueCapacity)
            {
                _metrics.Rejected.Inc();
                return false;
            }

            if (Interlocked.CompareExchange(ref _admitted, current + 1, current) == current)
            {
                if (interactive)
                {
                    Interlocked.Increment(ref _admittedInteractive);
                }

                return true;
            }
        }
    }

    public void Release(DetectionPriority priority = DetectionPriority.Interactive)
    {
        if (priority == DetectionPriority.Interactive)
        {
            Interlocked.Decrement(ref _admittedInteractive);
        }

        Interlocked.Decrement(ref _admitted);
    }

    /// <summary>
    /// Whether a new interactive request would be refused now (the check before an upload is
    /// read); a refusal here is counted like one from <see cref="TryAdmit"/>.
    /// </summary>
    public bool RefusesInteractive()
    {
        if (Volatile.Read(ref _admitted) < _settings.QueueCapacity && !WaitWouldExceedBudget(Volatile.Read(ref _admittedInteractive)))
        {
            return false;
        }

        _metrics.Rejected.Inc();
        return true;
    }

    // Admission by expected wait rather than only by count: under overload, accepted requests
    // keep a bounded latency and the rest are refused at once, instead of everyone queueing.
    private bool WaitWouldExceedBudget(int admitted)
    {
        // Always admit a running batch plus a full one behind it per executor, so the model never
        // idles for lack of admitted work; the budget only trims the backlog beyond that.
        if (_maxQueueWaitTicks <= 0 || admitted < 2 * _settings.MaxBatchSize * _executors.Count)
        {
            return false;
        }

        var rate = Volatile.Read(ref _imagesPerSecond);
        return rate > 0 && admitted / rate * Stopwatch.Frequency > _maxQueueWaitTicks;
    }

    /// <summary>Seconds until the queue ahead of a new request is likely drained, from measured throughput.</summary>
    public int EstimateRetryAfterSeconds()
    {
        var rate = Volatile.Read(ref _imagesPerSecond);
        var backlog = Volatile.Read(ref _admitted) + 1;
        var seconds = rate > 0 ? backlog / rate : 1;
        return (int)Math.Clamp(Math.Ceiling(seconds), 1, 60);
    }

    /// <summary>Queues an admitted request; completes when its batch has run.</summary>
    public Task<BatchInfo> EnqueueAsync(WorkItem item, CancellationToken cancellationToken)
    {
        // Register before queueing, so the registration exists before any executor can complete
        // the item; a token already cancelled marks the item cancelled and it is never queued.
        if (cancellationToken.CanBeCanceled)
        {
            item.Registration = cancellationToken.Register(static state =>
            {
                var (scheduler, work, token) = ((BatchScheduler, WorkItem, CancellationToken))state!;
                scheduler.TryCancel(work, token);
            }, (this, item, cancellationToken));
        }

        item.EnqueuedTimestamp = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (item.State != WorkItem.Queued)
            {
                return item.Completion.Task;
            }

            _queues[(int)item.Priority].AddLast(item.Node);
            _queued++;
            _metrics.QueueDepth.Set(_queued);
        }

        _signal.Release();
        return item.Completion.Task;
    }

    private void TryCancel(WorkItem item, CancellationToken token)
    {
        lock (_gate)
        {
            if (item.State != WorkItem.Queued)
            {
                return;
            }

            item.State = WorkItem.Cancelled;
            if (item.Node.List is { } queue)
            {
                queue.Remove(item.Node);
                _queued--;
                _metrics.QueueDepth.Set(_queued);
            }
        }

        _metrics.Cancelled.Inc();
        item.Completion.TrySetCanceled(token);
    }

    private void RunLoop(IBatchExecutor executor)
    {
        var batch = new WorkItem[_settings.MaxBatchSize];
        var expired = new WorkItem[_settings.MaxBatchSize];
        var stop = _stopping.Token;
        while (!stop.IsCancellationRequested)
        {
            int taken = 0, dropped = 0;
            var wait = Timeout.InfiniteTimeSpan;
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                if (_queued > 0)
                {
                    var oldest = OldestTimestamp();
                    if (_queued >= _settings.MaxBatchSize || _busy == 0 || now - oldest >= _maxDelayTicks)
                    {
                        (taken, dropped) = Take(batch, expired, now);
                        if (taken > 0)
                        {
                            _busy++;
                        }
                    }
                    else
                    {
                        wait = TimeSpan.FromSeconds((double)(oldest + _maxDelayTicks - now) / Stopwatch.Frequency);
                    }
                }

                _metrics.QueueDepth.Set(_queued);
            }

            for (var i = 0; i < dropped; i++)
            {
                _metrics.Expired.Inc();
                expired[i].Registration.Dispose();
                expired[i].Completion.TrySetException(new ProblemException(504, ErrorCodes.DeadlineExceeded, "Deadline exceeded", "The request's deadline passed while it waited for inference."));
                expired[i] = null!;
            }

            if (taken == 0)
            {
                if (dropped == 0)
                {
                    try
                    {
                        _signal.Wait(wait, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                continue;
            }

            Execute(executor, batch, taken);
            lock (_gate)
            {
                _busy--;
            }

            // Another executor may be waiting out a delay that this batch's end makes moot.
            if (_executors.Count > 1)
            {
                _signal.Release();
            }
        }

        FailRemaining();
    }

    private long OldestTimestamp()
    {
        var oldest = long.MaxValue;
        foreach (var q in _queues)
        {
            if (q.First is { } first && first.Value.EnqueuedTimestamp < oldest)
            {
                oldest = first.Value.EnqueuedTimestamp;
            }
        }

        return oldest;
    }

    private (int Taken, int Dropped) Take(WorkItem[] batch, WorkItem[] expired, long now)
    {
        int taken = 0, dropped = 0;
        foreach (var q in _queues)
        {
            while (taken < batch.Length && q.First is { } node)
            {
                q.RemoveFirst();
                _queued--;
                var item = node.Value;
                item.State = WorkItem.Taken;
                if (item.DeadlineTimestamp <= now)
                {
                    if (dropped < expired.Length)
                    {
                        expired[dropped++] = item;
                        continue;
                    }

                    // The expired buffer is full: put it back and drop it on the next pass.
                    item.State = WorkItem.Queued;
                    q.AddFirst(node);
                    _queued++;
                    return (taken, dropped);
                }

                batch[taken++] = item;
            }
        }

        return (taken, dropped);
    }

    private void Execute(IBatchExecutor executor, WorkItem[] batch, int n)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            batch[i].Input.AsSpan(0, executor.InputLength).CopyTo(executor.InputSlot(i));
        }

        try
        {
            executor.Run(n);
        }
        catch (Exception ex)
        {
            LogBatchFailed(_logger, Model, n, ex);
            _metrics.Failed.Inc(n);
            for (var i = 0; i < n; i++)
            {
                batch[i].Registration.Dispose();
                batch[i].Completion.TrySetException(new ProblemException(503, ErrorCodes.InferenceFailed, "Inference failed", "The model failed to run this batch; retry later.", ex) { RetryAfterSeconds = 1 });
                batch[i] = null!;
            }

            return;
        }

        var end = Stopwatch.GetTimestamp();
        var inferenceMs = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
        var observed = n / Math.Max(inferenceMs / 1000.0, 1e-6) * _executors.Count;
        var previous = Volatile.Read(ref _imagesPerSecond);
        Volatile.Write(ref _imagesPerSecond, previous == 0 ? observed : (0.8 * previous) + (0.2 * observed));
        _metrics.BatchSize.Observe(n);
        _metrics.InferenceSeconds.Observe(inferenceMs / 1000.0);
        for (var i = 0; i < n; i++)
        {
            var item = batch[i];
            batch[i] = null!;
            var queueMs = Stopwatch.GetElapsedTime(item.EnqueuedTimestamp, start).TotalMilliseconds;
            _metrics.QueueWaitSeconds.Observe(queueMs / 1000.0);
            var output = _outputs.Rent();
            executor.CopyOutput(i, output);
            item.Output = output;
            item.Registration.Dispose();
            if (!item.Completion.TrySetResult(new BatchInfo(n, queueMs, inferenceMs)))
            {
                item.Output = null;
                _outputs.Return(output);
            }
        }
    }

    private void FailRemaining()
    {
        List<WorkItem> left = [];
        lock (_gate)
        {
            foreach (var q in _queues)
            {
                while (q.First is { } node)
                {
                    q.RemoveFirst();
                    node.Value.State = WorkItem.Taken;
                    left.Add(node.Value);
                }
            }

            _queued = 0;
        }

        foreach (var item in left)
        {
            item.Registration.Dispose();
            item.Completion.TrySetException(new ProblemException(503, ErrorCodes.Overloaded, "Shutting down", "The service is shutting down; retry on another instance.") { RetryAfterSeconds = 1 });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.Run(() =>
        {
            foreach (var loop in _loops)
            {
                loop.Join();
            }
        });
        _stopping.Dispose();
        _signal.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch of {BatchSize} failed on model {Model}")]
    private static partial void LogBatchFailed(ILogger logger, string model, int batchSize, Exception exception);
}
