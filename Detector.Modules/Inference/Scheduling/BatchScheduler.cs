using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// The dynamic-batching scheduler of one model version, in Triton's three parts: admission
/// (<see cref="AdmissionControl"/>), the priority/deadline queue (<see cref="WorkQueue"/>) and the
/// batch loop (<see cref="BatchLoop"/>), plus the model's tensor pools.
/// </summary>
internal sealed class BatchScheduler : IAsyncDisposable
{
    private readonly IReadOnlyList<IBatchExecutor> _executors;
    private readonly AdmissionControl _admission;
    private readonly WorkQueue _queue;
    private readonly BatchLoop _loop;
    private readonly TensorPool _inputs;
    private readonly TensorPool _outputs;

    public BatchScheduler(string model, IReadOnlyList<IBatchExecutor> executors, SchedulerSettings settings, SchedulerMetrics metrics, ILogger logger, ExecutorOptions? extras = null)
    {
        if (executors.Count == 0)
        {
            throw new ArgumentException("At least one executor is needed.", nameof(executors));
        }

        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(metrics);
        Model = model;
        _executors = executors;
        var maxBatch = Math.Min(settings.MaxBatchSize, executors[0].MaxBatch);

        // Pools per model, sized for every admitted request's input plus every output in flight,
        // so steady traffic reuses buffers instead of allocating megabyte arrays on the LOH.
        var buffersInFlight = settings.QueueCapacity + (executors.Count * maxBatch);
        var allocated = metrics.BuffersAllocated;
        Action countAllocation = () => allocated.Inc();
        _inputs = new TensorPool(executors[0].InputLength, buffersInFlight, countAllocation);
        _outputs = executors[0].OutputLength == executors[0].InputLength ? _inputs : new TensorPool(executors[0].OutputLength, buffersInFlight, countAllocation);
        // What a full pipeline holds (a running and a waiting batch per executor) exists from the
        // start; growth beyond that happens only while more requests are in flight than ever before.
        var pipeline = 2 * executors.Count * maxBatch;
        _inputs.Prefill(pipeline);
        _outputs.Prefill(pipeline);

        _admission = new AdmissionControl(settings.QueueCapacity, settings.SyncBudget, alwaysAdmitted: pipeline, metrics.Rejected, settings.BackgroundShare, metrics.LatencyScale);
        // With several executors, background batches leave one free while callers are around.
        _queue = new WorkQueue(maxBatch, settings.MaxDelay, metrics, executors.Count > 1 ? executors.Count - 1 : int.MaxValue);
        _loop = new BatchLoop(model, executors, maxBatch, _queue, _admission, _outputs, metrics, logger, extras);
    }

    public string Model { get; }

    public int InputLength => _executors[0].InputLength;

    public int OutputLength => _executors[0].OutputLength;

    public int QueueDepth => _queue.Depth;

    /// <summary>Interactive requests admitted and not yet released.</summary>
    public int InteractiveInFlight => _admission.AdmittedInteractive;

    /// <summary>
    /// Interactive work holding places (decoding, queued or running) in seconds at the measured rate;
    /// 0 before the first batch. Background work is left out: it queues behind interactive work.
    /// </summary>
    public double BacklogSeconds => _admission.ImagesPerSecond is > 0 and var rate ? _admission.AdmittedInteractive / rate : 0;

    /// <summary>Executor slots (the single-threaded throughput layout on CPU).</summary>
    public int Executors => _executors.Count;

    /// <inheritdoc cref="BatchLoop.UnhealthyExecutors"/>
    public int UnhealthyExecutors => _loop.UnhealthyExecutors;

    /// <summary>An input tensor buffer of exactly <see cref="InputLength"/> floats from this model's pool.</summary>
    public float[] RentInput() => _inputs.Rent();

    /// <summary>Gives back an input or output buffer obtained from this scheduler.</summary>
    public void Return(float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        (buffer.Length == _inputs.Length ? _inputs : _outputs).Return(buffer);
    }

    /// <summary>Reserves room for one request before it is preprocessed, so an overloaded model refuses in microseconds.</summary>
    /// <inheritdoc cref="AdmissionControl.Admit"/>
    public Admission Admit(DetectionPriority priority, Guid tenant, int maxInFlight, TimeSpan? budget, out double predictedSeconds) =>
        _admission.Admit(priority, tenant, maxInFlight, budget, out predictedSeconds);

    /// <inheritdoc cref="AdmissionControl.Release"/>
    public void Release(DetectionPriority priority, Guid tenant) => _admission.Release(priority, tenant);

    /// <inheritdoc cref="AdmissionControl.ObserveCompletion"/>
    public void ObserveCompletion(double observedSeconds, double predictedSeconds) => _admission.ObserveCompletion(observedSeconds, predictedSeconds);

    /// <inheritdoc cref="AdmissionControl.EstimateRetryAfterSeconds"/>
    public int EstimateRetryAfterSeconds() => _admission.EstimateRetryAfterSeconds();

    /// <inheritdoc cref="WorkQueue.EnqueueAsync"/>
    public Task<BatchInfo> EnqueueAsync(WorkItem item, CancellationToken cancellationToken) => _queue.EnqueueAsync(item, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _loop.DisposeAsync();
        _queue.Dispose();
    }
}
