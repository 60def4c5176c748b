namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One priority level: a queue per tenant, and the ring of tenants that have something queued.
/// Taking serves the tenant at the head of the ring and moves it to the back.
/// </summary>
internal sealed class FairLane
{
    // A tenant's queue outlives its last item, so a tenant sending one request at a time does not
    // allocate a queue per request; idle queues are dropped only when this many have piled up.
    private const int MaxQueues = 4096;

    private readonly Dictionary<Guid, TenantQueue> _tenants = [];
    private readonly LinkedList<TenantQueue> _ring = new();

    public void Add(WorkItem item)
    {
        if (!_tenants.TryGetValue(item.TenantId, out var queue))
        {
            if (_tenants.Count >= MaxQueues)
            {
                DropIdleQueues();
            }

            queue = new TenantQueue();
            _tenants[item.TenantId] = queue;
        }

        queue.Items.AddLast(item.Node);
        if (queue.RingNode.List is null)
        {
            _ring.AddLast(queue.RingNode);
        }
    }

    public bool Remove(WorkItem item)
    {
        if (item.Node.List is null || !_tenants.TryGetValue(item.TenantId, out var queue))
        {
            return false;
        }

        queue.Items.Remove(item.Node);
        Retire(queue);
        return true;
    }

    public bool IsEmpty => _ring.Count == 0;

    public WorkItem? PeekNext() => _ring.First?.Value.Items.First?.Value;

    public WorkItem? TakeNext()
    {
        if (_ring.First is not { } head)
        {
            return null;
        }

        var queue = head.Value;
        var item = queue.Items.First!.Value;
        queue.Items.RemoveFirst();
        _ring.RemoveFirst();
        if (queue.Items.Count > 0)
        {
            _ring.AddLast(head);
        }

        return item;
    }

    public long OldestTimestamp()
    {
        var oldest = long.MaxValue;
        for (var node = _ring.First; node is not null; node = node.Next)
        {
            oldest = Math.Min(oldest, node.Value.Items.First!.Value.EnqueuedTimestamp);
        }

        return oldest;
    }

    private void Retire(TenantQueue queue)
    {
        if (queue.Items.Count == 0 && queue.RingNode.List is not null)
        {
            _ring.Remove(queue.RingNode);
        }
    }

    private void DropIdleQueues()
    {
        foreach (var tenant in _tenants.Where(t => t.Value.Items.Count == 0).Select(t => t.Key).ToList())
        {
            _tenants.Remove(tenant);
        }
    }

    private sealed class TenantQueue
    {
        public TenantQueue() => RingNode = new LinkedListNode<TenantQueue>(this);

        public LinkedList<WorkItem> Items { get; } = new();

        public LinkedListNode<TenantQueue> RingNode { get; }
    }
}
