using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One dedicated thread per executor slot: take a due batch from the queue, copy its inputs into
/// the slot, run the model, hand each request its output. Executors block in the model run for
/// tens of milliseconds, so they stay off the thread pool that serves HTTP and decoding. Nothing
/// here allocates per image: batch arrays are per thread and outputs come from the model's pool.
/// </summary>
internal sealed partial class BatchLoop : IAsyncDisposable
{
    private readonly string _model;
    private readonly IReadOnlyList<IBatchExecutor> _executors;
    private readonly int _maxBatch;
    private readonly WorkQueue _queue;
    private readonly AdmissionControl _admission;
    private readonly TensorPool _outputs;
    private readonly SchedulerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread[] _threads;

    public BatchLoop(string model, IReadOnlyList<IBatchExecutor> executors, int maxBatch, WorkQueue queue, AdmissionControl admission, TensorPool outputs, SchedulerMetrics metrics, ILogger logger)
    {
        _model = model;
        _executors = executors;
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
                Execute(executor, batch, taken);
                _queue.BatchDone(background);
            }
        }
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
            // Only this batch fails; the executor stays in service for the next one.
            LogBatchFailed(_logger, _model, n, ex);
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
        _admission.RecordBatch(n, inferenceMs, _executors.Count);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch of {BatchSize} failed on model {Model}")]
    private static partial void LogBatchFailed(ILogger logger, string model, int batchSize, Exception exception);
}
