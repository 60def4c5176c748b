namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// One priority level: a queue per tenant, and the ring of tenants that have something queued.
/// Taking serves the tenant at the head of the ring and moves it to the back.
/// </summary>
internal sealed class FairLane
{
    private readonly Dictionary<Guid, TenantQueue> _tenants = [];
    private readonly LinkedList<TenantQueue> _ring = new();

    public void Add(WorkItem item)
    {
        if (!_tenants.TryGetValue(item.TenantId, out var queue))
        {
            queue = new TenantQueue(item.TenantId);
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
        else
        {
            _tenants.Remove(queue.Tenant);
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
        if (queue.Items.Count == 0)
        {
            if (queue.RingNode.List is not null)
            {
                _ring.Remove(queue.RingNode);
            }

            _tenants.Remove(queue.Tenant);
        }
    }

    private sealed class TenantQueue
    {
        public TenantQueue(Guid tenant)
        {
            Tenant = tenant;
            RingNode = new LinkedListNode<TenantQueue>(this);
        }

        public Guid Tenant { get; }

        public LinkedList<WorkItem> Items { get; } = new();

        public LinkedListNode<TenantQueue> RingNode { get; }
    }
}
