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
    // Counted: one process may hold an item twice (an execution whose lease lapsed, and the one that
    // re-claimed it); the first to finish must not stop the other's renewals.
    private readonly ConcurrentDictionary<(Guid JobId, int Idx), int> _items = new();

    public int Count => _items.Count;

    public void Hold(Guid jobId, int idx) => _items.AddOrUpdate((jobId, idx), 1, static (_, n) => n + 1);

    public void Release(Guid jobId, int idx)
    {
        var key = (jobId, idx);
        while (_items.TryGetValue(key, out var n))
        {
            if (n <= 1 ? _items.TryRemove(new KeyValuePair<(Guid, int), int>(key, n)) : _items.TryUpdate(key, n - 1, n))
            {
                return;
            }
        }
    }

    /// <summary>A copy as two parallel arrays (the shape PostgreSQL's unnest takes).</summary>
    public (Guid[] JobIds, int[] Idxs) Snapshot()
    {
        var keys = _items.Keys.ToArray();
        return ([.. keys.Select(k => k.JobId)], [.. keys.Select(k => k.Idx)]);
    }
}
