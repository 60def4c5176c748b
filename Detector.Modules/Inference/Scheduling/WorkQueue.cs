using System.Diagnostics;

namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// The two-level queue of one model version (interactive before background, each in arrival
/// order) and the rule for when a batch is due: the queue holds a full batch, the oldest request
/// has waited the max delay, or no executor is busy (waiting only pays off while the model is
/// already working). Requests past their deadline are handed back apart, to be failed without
/// inference; cancelled ones leave the queue at once.
/// </summary>
internal sealed class WorkQueue(int maxBatch, TimeSpan maxDelay, SchedulerMetrics metrics) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly LinkedList<WorkItem>[] _queues = [new(), new()];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly long _maxDelayTicks = (long)(maxDelay.TotalSeconds * Stopwatch.Frequency);
    private int _queued;
    private int _busy;

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

            _queues[(int)item.Priority].AddLast(item.Node);
            _queued++;
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
                    var oldest = OldestTimestamp();
                    if (_queued >= maxBatch || _busy == 0 || now - oldest >= _maxDelayTicks)
                    {
                        (taken, dropped) = TakeLocked(batch, expired, now);
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

    /// <summary>A taker finished its batch; another taker may be waiting out a delay this makes moot.</summary>
    public void BatchDone()
    {
        lock (_gate)
        {
            _busy--;
        }

        _signal.Release();
    }

    /// <summary>Removes and returns everything still queued (shutdown).</summary>
    public List<WorkItem> Drain()
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
            if (item.Node.List is { } queue)
            {
                queue.Remove(item.Node);
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
        foreach (var q in _queues)
        {
            if (q.First is { } first && first.Value.EnqueuedTimestamp < oldest)
            {
                oldest = first.Value.EnqueuedTimestamp;
            }
        }

        return oldest;
    }

    private (int Taken, int Dropped) TakeLocked(WorkItem[] batch, WorkItem[] expired, long now)
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

    public void Dispose() => _signal.Dispose();
}
