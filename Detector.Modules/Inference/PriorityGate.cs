using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Modules.Inference;

/// <summary>
/// The decode slots (one per core by default). Interactive requests waiting for a slot get it
/// before background ones, so a job's backlog of images never stands in front of a caller who
/// is waiting; among interactive requests, tenants take turns, so one tenant's burst of uploads
/// does not either, and a tenant that arrives with no one waiting takes the next turn once a
/// round: the interactive waiters are a <see cref="FairLane{T}"/>, as the inference queue's
/// levels are. Within a tenant (and among background requests), first come first served.
/// </summary>
internal sealed class PriorityGate(int slots)
{
    private readonly Lock _lock = new();
    private readonly FairLane<Waiter> _interactive = new();
    private readonly Queue<TaskCompletionSource> _background = new();
    private int _free = slots;

    public Task WaitAsync(DetectionPriority priority, CancellationToken cancellationToken) => WaitAsync(priority, Guid.Empty, cancellationToken);

    /// <summary>
    /// A slot in the request's turn; a request whose <paramref name="deadline"/> passes while it
    /// waits is refused there (504 <c>deadline_exceeded</c>) rather than decoded for nobody, as
    /// the inference queue refuses it, and its turn passes on.
    /// </summary>
    public Task WaitAsync(DetectionPriority priority, Guid tenant, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        if (deadline is not { } due)
        {
            return WaitAsync(priority, tenant, cancellationToken);
        }

        // A free slot is taken at once, with no timer: the deadline only matters to a waiter.
        lock (_lock)
        {
            if (TakeLocked(priority))
            {
                return Task.CompletedTask;
            }
        }

        return WaitUntilAsync(priority, tenant, due, cancellationToken);
    }

    private async Task WaitUntilAsync(DetectionPriority priority, Guid tenant, DateTimeOffset due, CancellationToken cancellationToken)
    {
        var left = due - DateTimeOffset.UtcNow;
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        expiry.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await WaitAsync(priority, tenant, expiry.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DomainException(OutcomeKind.DeadlineExceeded, ErrorCodes.DeadlineExceeded, "Deadline exceeded", "The request's deadline passed while it waited to be decoded.");
        }
    }

    public Task WaitAsync(DetectionPriority priority, Guid tenant, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (TakeLocked(priority))
            {
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (priority == DetectionPriority.Interactive)
            {
                _interactive.Add(new Waiter(tenant, waiter));
            }
            else
            {
                _background.Enqueue(waiter);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A cancelled waiter stays queued but completed; Release skips it.
            var registration = cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter);
            waiter.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    public void Release()
    {
        while (true)
        {
            TaskCompletionSource? next;
            lock (_lock)
            {
                next = _interactive.TakeNext()?.Slot;
                if (next is null && !_background.TryDequeue(out next))
                {
                    _free++;
                    return;
                }
            }

            // The slot passes to the waiter; one that was cancelled meanwhile hands it on.
            if (next.TrySetResult())
            {
                return;
            }
        }
    }

    /// <summary>Takes a free slot when no one of this priority or above waits; under the lock.</summary>
    private bool TakeLocked(DetectionPriority priority)
    {
        if (_free > 0 && _interactive.IsEmpty && (priority == DetectionPriority.Interactive || _background.Count == 0))
        {
            _free--;
            return true;
        }

        return false;
    }

    /// <summary>An interactive request waiting for a slot; a cancelled one stays queued, completed, and is skipped.</summary>
    private sealed class Waiter : ITenantTurn<Waiter>
    {
        public Waiter(Guid tenantId, TaskCompletionSource slot)
        {
            TenantId = tenantId;
            Slot = slot;
            Node = new LinkedListNode<Waiter>(this);
        }

        public Guid TenantId { get; }

        public TaskCompletionSource Slot { get; }

        public LinkedListNode<Waiter> Node { get; }
    }
}
