using System.Diagnostics;
using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// The two-level queue of one model version (interactive before background) and the rule for
/// when a batch is due: the queue holds a full batch, the oldest request has waited the max
/// delay, or no executor is busy (waiting only pays off while the model is already working).
/// Within a level, tenants are served in turns (round robin, one request each per turn; each
/// tenant's own requests in arrival order), so one tenant's backlog never stands in front of
/// another's next request. Requests past their deadline are handed back apart, to be failed
/// without inference; cancelled ones leave the queue at once.
/// </summary>
/// <remarks>
/// While interactive requests have arrived in the last <see cref="InteractiveWindow"/>, background
/// batches run on at most <c>backgroundExecutors</c> executors (one fewer than there are): a
/// caller's request then finds an executor free instead of waiting for a job's batch, and the
/// job still uses every executor when nobody is waiting on an answer.
/// </remarks>
internal sealed class WorkQueue(int maxBatch, TimeSpan maxDelay, SchedulerMetrics metrics, int backgroundExecutors = int.MaxValue) : IDisposable
{
    public static readonly TimeSpan InteractiveWindow = TimeSpan.FromSeconds(2);
    private static readonly long InteractiveWindowTicks = (long)(InteractiveWindow.TotalSeconds * Stopwatch.Frequency);
    private readonly Lock _gate = new();
    private readonly FairLane<WorkItem>[] _lanes = [new(), new()];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly long _maxDelayTicks = (long)(maxDelay.TotalSeconds * Stopwatch.Frequency);
    private int _queued;
    private int _busy;
    private int _busyBackground;
    private long _lastInteractive = long.MinValue / 2;

    public int Depth => Volatile.Read(ref _queued);

    /// <summary>Queues an admitted request; completes when its batch has run.</summary>
    public Task<BatchInfo> EnqueueAsync(WorkItem item, CancellationToken cancellationToken)
    {
        // Register before queueing, so the registration exists before any executor can complete
        // the item; a token already cancelled marks the item cancelled and it is never queued.
        if (cancellationToken.CanBeCanceled)
        {
            item.Registration = cancellationToken.Register(static state =>
            {
                var (queue, work, token) = ((WorkQueue, WorkItem, CancellationToken))state!;
                queue.TryCancel(work, token);
            }, (this, item, cancellationToken));
        }

        item.EnqueuedTimestamp = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (item.State != WorkItem.Queued)
            {
                return item.Completion.Task;
            }

            _lanes[(int)item.Priority].Add(item);
            _queued++;
            if (item.Priority == DetectionPriority.Interactive)
            {
                _lastInteractive = item.EnqueuedTimestamp;
            }
            metrics.QueueDepth.Set(_queued);
        }

        _signal.Release();
        return item.Completion.Task;
    }

    /// <summary>
    /// Blocks until a batch is due or expired requests were found, then takes up to a batch into
    /// <paramref name="batch"/> (the caller is then busy until <see cref="BatchDone"/>) and the
    /// expired ones into <paramref name="expired"/>. Returns (0, 0) once <paramref name="stop"/> fires.
    /// </summary>
    public (int Taken, int Dropped) Take(WorkItem[] batch, WorkItem[] expired, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            int taken = 0, dropped = 0;
            var wait = Timeout.InfiniteTimeSpan;
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                if (_queued > 0)
                {
                    // Walking the lanes for the oldest item costs a step per waiting tenant: only when a full batch or an idle model has not decided.
                    long oldest = 0;
                    var sinceInteractive = now - _lastInteractive;
                    if (_lanes[0].IsEmpty && _busyBackground >= backgroundExecutors && sinceInteractive < InteractiveWindowTicks)
                    {
                        // Only background work, and its share of executors is taken: keep this one free for callers.
                        wait = TimeSpan.FromSeconds((double)(InteractiveWindowTicks - sinceInteractive) / Stopwatch.Frequency);
                    }
                    else if (_queued >= maxBatch || _busy == 0 || now - (oldest = OldestTimestamp()) >= _maxDelayTicks)
                    {
                        (taken, dropped) = TakeLocked(batch, expired, now);
                        if (taken > 0)
                        {
                            _busy++;
                            if (batch[0].Priority == DetectionPriority.Background)
                            {
                                _busyBackground++;
                            }
                        }
                    }
                    else
                    {
                        wait = TimeSpan.FromSeconds((double)(oldest + _maxDelayTicks - now) / Stopwatch.Frequency);
                    }
                }

                metrics.QueueDepth.Set(_queued);
            }

            if (taken > 0 || dropped > 0)
            {
                return (taken, dropped);
            }

            try
            {
                _signal.Wait(wait, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (0, 0);
    }

    /// <summary>A taker finished its batch (led by a background request or not); another taker may be waiting out a delay this makes moot.</summary>
    public void BatchDone(bool background = false)
    {
        lock (_gate)
        {
            _busy--;
            if (background)
            {
                _busyBackground--;
            }
        }

        _signal.Release();
    }

    /// <summary>Removes and returns everything still queued (shutdown).</summary>
    public List<WorkItem> Drain()
    {
        List<WorkItem> left = [];
        lock (_gate)
        {
            foreach (var lane in _lanes)
            {
                while (lane.TakeNext() is { } item)
                {
                    item.State = WorkItem.Taken;
                    left.Add(item);
                }
            }

            _queued = 0;
            metrics.QueueDepth.Set(0);
        }

        return left;
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
            if (_lanes[(int)item.Priority].Remove(item))
            {
                _queued--;
                metrics.QueueDepth.Set(_queued);
            }
        }

        metrics.Cancelled.Inc();
        item.Completion.TrySetCanceled(token);
    }

    private long OldestTimestamp()
    {
        var oldest = long.MaxValue;
        foreach (var lane in _lanes)
        {
            oldest = Math.Min(oldest, lane.MinOfHeads(static item => item.EnqueuedTimestamp));
        }

        return oldest;
    }

    private (int Taken, int Dropped) TakeLocked(WorkItem[] batch, WorkItem[] expired, long now)
    {
        int taken = 0, dropped = 0;
        foreach (var lane in _lanes)
        {
            while (taken < batch.Length && lane.PeekNext() is { } item)
            {
                if (item.DeadlineTimestamp <= now && dropped == expired.Length)
                {
                    // The expired buffer is full: leave it queued and drop it on the next pass.
                    return (taken, dropped);
                }

                lane.TakeNext();
                _queued--;
                item.State = WorkItem.Taken;
                if (item.DeadlineTimestamp <= now)
                {
                    expired[dropped++] = item;
                    continue;
                }

                batch[taken++] = item;
            }
        }

        return (taken, dropped);
    }

    public void Dispose() => _signal.Dispose();
}
