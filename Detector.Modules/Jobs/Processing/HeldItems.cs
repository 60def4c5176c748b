using System.Collections.Concurrent;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// The items this process is working on right now. The lease keeper renews the leases of these
/// only: an item whose chunk execution ended without finishing it (the database went away
/// mid-item, and the requeue failed too) is no longer held, so its lease runs out and the
/// recovery sweep hands it to a worker again. Renewing every lease the process ever took kept
/// such items "running" for as long as the process lived.
/// </summary>
internal sealed class HeldItems
{
    private readonly ConcurrentDictionary<(Guid JobId, int Idx), byte> _items = new();

    public int Count => _items.Count;

    public void Hold(Guid jobId, int idx) => _items.TryAdd((jobId, idx), 0);

    public void Release(Guid jobId, int idx) => _items.TryRemove((jobId, idx), out _);

    /// <summary>A copy as two parallel arrays (the shape PostgreSQL's unnest takes).</summary>
    public (Guid[] JobIds, int[] Idxs) Snapshot()
    {
        var keys = _items.Keys.ToArray();
        return ([.. keys.Select(k => k.JobId)], [.. keys.Select(k => k.Idx)]);
    }
}
