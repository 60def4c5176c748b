using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Inference;

/// <summary>
/// The decode slots (one per core by default). Interactive requests waiting for a slot get it
/// before background ones, so a job's backlog of images never stands in front of a caller who
/// is waiting; among interactive requests, tenants take turns, so one tenant's burst of uploads
/// does not either, and a tenant that arrives with no one waiting takes the next turn once a
/// round, as in the inference queue (<see cref="Scheduling.FairLane"/>). Within a tenant (and
/// among background requests), first come first served.
/// </summary>
internal sealed class PriorityGate(int slots)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Queue<TaskCompletionSource>> _interactive = [];
    // Tenants new since the ring last passed them, then the ring; an emptied tenant keeps its ring
    // place (and its entry above) until its turn comes round, so it is new at most once a round.
    private readonly Queue<Guid> _new = new();
    private readonly Queue<Guid> _ring = new();
    private readonly Queue<TaskCompletionSource> _background = new();
    private int _free = slots;
    private int _waitingInteractive;

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
                if (!_interactive.TryGetValue(tenant, out var queue))
                {
                    _interactive[tenant] = queue = new Queue<TaskCompletionSource>();
                    _new.Enqueue(tenant);
                }

                queue.Enqueue(waiter);
                _waitingInteractive++;
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
                next = NextInteractive();
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
        if (_free > 0 && _waitingInteractive == 0 && (priority == DetectionPriority.Interactive || _background.Count == 0))
        {
            _free--;
            return true;
        }

        return false;
    }

    private TaskCompletionSource? NextInteractive()
    {
        if (_waitingInteractive == 0)
        {
            // No one waits: the round is over, and whoever comes next is new.
            _new.Clear();
            _ring.Clear();
            _interactive.Clear();
            return null;
        }

        while (_new.TryDequeue(out var tenant) || _ring.TryDequeue(out tenant))
        {
            var queue = _interactive[tenant];
            if (queue.Count == 0)
            {
                _interactive.Remove(tenant); // its ring place came round with no one waiting
                continue;
            }

            _waitingInteractive--;
            _ring.Enqueue(tenant);
            return queue.Dequeue();
        }

        return null;
    }
}
