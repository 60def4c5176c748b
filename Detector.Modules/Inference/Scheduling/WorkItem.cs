using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>One admitted request, from enqueue until its batch completes.</summary>
internal sealed class WorkItem : ITenantTurn<WorkItem>
{
    internal const int Queued = 0;
    internal const int Taken = 1;
    internal const int Cancelled = 2;

    public WorkItem(float[] input, DetectionPriority priority, long deadlineTimestamp, Guid tenantId = default)
    {
        Input = input;
        Priority = priority;
        DeadlineTimestamp = deadlineTimestamp;
        TenantId = tenantId;
        Node = new LinkedListNode<WorkItem>(this);
    }

    /// <summary>Whose request this is; the queue serves tenants in turns.</summary>
    public Guid TenantId { get; }

    /// <summary>The preprocessed input tensor; owned by the caller, read by the executor.</summary>
    public float[] Input { get; }

    public DetectionPriority Priority { get; }

    /// <summary>Stopwatch timestamp after which the request is dropped; long.MaxValue for none.</summary>
    public long DeadlineTimestamp { get; }

    public long EnqueuedTimestamp { get; set; }

    /// <summary>Packed outputs, rented from the model's tensor pool by the batch loop; the caller returns it to the scheduler.</summary>
    public float[]? Output { get; set; }

    public TaskCompletionSource<BatchInfo> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Its place in its tenant's queue (<see cref="FairLane{T}"/>).</summary>
    public LinkedListNode<WorkItem> Node { get; }

    internal int State { get; set; } = Queued;

    internal CancellationTokenRegistration Registration { get; set; }
}
