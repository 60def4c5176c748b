using System.Diagnostics;
using Detector.Modules.Common;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One batch on one executor: copy the inputs into its slot, run the model, hand each request its
/// output from the model's pool, and feed the run's throughput to admission. A run that fails
/// fails its batch only (a batch too large for the device's memory is first tried in halves);
/// the caller then recreates the executor's session. Allocates nothing per image.
/// </summary>
internal sealed partial class BatchExecution(string model, int executors, AdmissionControl admission, TensorPool outputs, SchedulerMetrics metrics, IInferenceFaults faults, ILogger logger)
{
    /// <summary>Runs batch[offset..offset+count) and completes its requests; true when the executor failed and needs recovering.</summary>
    public bool Execute(IBatchExecutor executor, WorkItem[] batch, int offset, int count, bool wide)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            batch[offset + i].Input.AsSpan(0, executor.InputLength).CopyTo(executor.InputSlot(i));
        }

        try
        {
            faults.BeforeRun(model, count);
            executor.Run(count);
        }
        catch (Exception ex) when (count > 1 && IsOutOfMemory(ex))
        {
            // A batch too large for the device's memory fails for its size, not its images: the
            // halves are tried before any request is failed.
            metrics.Split.Inc();
            LogSplit(logger, model, count);
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
            LogBatchFailed(logger, model, count, ex);
            Fail(batch, offset, count, ex);
            return true;
        }

        var inferenceMs = Stopwatch.GetElapsedTime(start, Stopwatch.GetTimestamp()).TotalMilliseconds;
        Record(count, inferenceMs, wide);
        Complete(executor, batch, offset, count, start, inferenceMs);
        return false;
    }

    /// <summary>Fails the requests of batch[offset..offset+count) still open with a 503 the client may retry.</summary>
    public void Fail(WorkItem[] batch, int offset, int count, Exception ex)
    {
        for (var i = offset; i < offset + count; i++)
        {
            if (batch[i] is null)
            {
                continue; // already answered
            }

            metrics.Failed.Inc();
            batch[i].Registration.Dispose();
            batch[i].Completion.TrySetException(new DomainException(OutcomeKind.Unavailable, ErrorCodes.InferenceFailed, "Inference failed", "The model failed to run this batch; retry later.", ex) { RetryAfterSeconds = 1 });
            batch[i] = null!;
        }
    }

    private void Record(int count, double inferenceMs, bool wide)
    {
        if (wide)
        {
            // Wide runs happen only when nothing waits, so they say nothing about throughput under load.
            metrics.WideRuns.Inc();
        }
        else
        {
            metrics.NarrowRuns.Inc();
            admission.RecordBatch(count, inferenceMs, executors);
        }

        metrics.BatchSize.Observe(count);
        metrics.InferenceSeconds.Observe(inferenceMs / 1000.0);
    }

    /// <summary>Hands each request its output; one whose caller has gone gives the buffer back at once.</summary>
    private void Complete(IBatchExecutor executor, WorkItem[] batch, int offset, int count, long start, double inferenceMs)
    {
        for (var i = 0; i < count; i++)
        {
            var item = batch[offset + i];
            batch[offset + i] = null!;
            var queueMs = Stopwatch.GetElapsedTime(item.EnqueuedTimestamp, start).TotalMilliseconds;
            metrics.QueueWaitSeconds.Observe(queueMs / 1000.0);
            var output = outputs.Rent();
            executor.CopyOutput(i, output);
            item.Output = output;
            item.Registration.Dispose();
            if (!item.Completion.TrySetResult(new BatchInfo(count, queueMs, inferenceMs, executor.Threads)))
            {
                item.Output = null;
                outputs.Return(output);
            }
        }
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
}
