namespace Detector.Modules.Inference.Scheduling;

/// <summary>Something queued in a <see cref="FairLane{T}"/>: its tenant, and the list node it is queued by (one per item, made once).</summary>
internal interface ITenantTurn<T>
    where T : class
{
    Guid TenantId { get; }

    LinkedListNode<T> Node { get; }
}

/// <summary>
/// One priority level: a queue per tenant, served in turns, one request a turn. A tenant that
/// arrives with nothing queued (a sparse flow: one photo every so often) takes the next turn
/// rather than the last, as FQ-CoDel's new flows do (RFC 8290, 4.1): its lone request then waits
/// for one run, not for a turn of every backlogged tenant. It gets that once a round: served, it
/// joins the backlogged tenants' ring, and only leaves it (to be new again) when its place in the
/// ring comes round with nothing queued, so a tenant cannot jump the ring by sending one request
/// at a time faster than the ring turns. The inference queue's levels and the decode slots'
/// interactive waiters are both served by it.
/// </summary>
internal sealed class FairLane<T>
    where T : class, ITenantTurn<T>
{
    // A tenant's queue outlives its last item, so a tenant sending one request at a time does not
    // allocate a queue per request; idle queues are dropped only when this many have piled up.
    private const int MaxQueues = 4096;

    private readonly Dictionary<Guid, TenantQueue> _tenants = [];
    private readonly LinkedList<TenantQueue> _new = new();
    private readonly LinkedList<TenantQueue> _ring = new();
    private int _count;

    public void Add(T item)
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
        _count++;
        if (queue.TurnNode.List is null)
        {
            _new.AddLast(queue.TurnNode);
        }
    }

    /// <summary>Takes a queued item out (cancelled); its tenant keeps its place until its turn comes round.</summary>
    public bool Remove(T item)
    {
        if (item.Node.List is null || !_tenants.TryGetValue(item.TenantId, out var queue))
        {
            return false;
        }

        queue.Items.Remove(item.Node);
        _count--;
        return true;
    }

    public bool IsEmpty => _count == 0;

    public T? PeekNext() => NextTurn()?.Value.Items.First!.Value;

    public T? TakeNext()
    {
        if (NextTurn() is not { } turn)
        {
            return null;
        }

        var queue = turn.Value;
        var item = queue.Items.First!.Value;
        queue.Items.RemoveFirst();
        _count--;
        turn.List!.Remove(turn);
        _ring.AddLast(turn); // a new tenant's one jump is spent; a ring tenant goes to the back
        return item;
    }

    /// <summary>The smallest <paramref name="key"/> of the items at the head of each tenant's queue (long.MaxValue when none), allocating nothing.</summary>
    public long MinOfHeads(Func<T, long> key) => MinOfHeads(_ring, key, MinOfHeads(_new, key, long.MaxValue));

    private static long MinOfHeads(LinkedList<TenantQueue> turns, Func<T, long> key, long least)
    {
        for (var node = turns.First; node is not null; node = node.Next)
        {
            if (node.Value.Items.First is { } first)
            {
                least = Math.Min(least, key(first.Value));
            }
        }

        return least;
    }

    /// <summary>
    /// The turn that serves next: the first new tenant with something queued, else the first ring
    /// tenant with something queued. A new tenant emptied by a cancellation joins the ring's back;
    /// a ring tenant whose turn finds it empty leaves the ring, so each empty place is passed once.
    /// </summary>
    private LinkedListNode<TenantQueue>? NextTurn()
    {
        if (_count == 0)
        {
            // Nothing queued: the round is over, and whoever comes next is new.
            _new.Clear();
            _ring.Clear();
            return null;
        }

        while (_new.First is { } head)
        {
            if (head.Value.Items.Count > 0)
            {
                return head;
            }

            _new.RemoveFirst();
            _ring.AddLast(head);
        }

        while (_ring.First is { } head && head.Value.Items.Count == 0)
        {
            _ring.RemoveFirst();
        }

        return _ring.First;
    }

    private void DropIdleQueues()
    {
        foreach (var (tenant, queue) in _tenants.Where(t => t.Value.Items.Count == 0).ToList())
        {
            queue.TurnNode.List?.Remove(queue.TurnNode);
            _tenants.Remove(tenant);
        }
    }

    private sealed class TenantQueue
    {
        public TenantQueue() => TurnNode = new LinkedListNode<TenantQueue>(this);

        public LinkedList<T> Items { get; } = new();

        /// <summary>The tenant's place: in the new tenants' list, in the ring, or in neither when it has not been seen since its last turn.</summary>
        public LinkedListNode<TenantQueue> TurnNode { get; }
    }
}
