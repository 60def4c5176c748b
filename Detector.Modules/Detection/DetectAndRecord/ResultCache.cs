using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Primitives;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>A cache entry's key: whose image, which image (its stored sha256), and what would serve it.</summary>
internal readonly record struct ResultCacheKey(Guid TenantId, string Sha256, ServingIdentity Served);

/// <summary>What a repeat needs besides the candidates: the image's size and format as the first detection decoded them.</summary>
internal sealed record CachedImage(CandidateSnapshot Candidates, int Width, int Height, string Format);

/// <summary>
/// This instance's result cache (ADR 0017): kept candidates per (tenant, image, model version,
/// preprocessing), bounded in bytes with least-recently-used eviction and a time to live. It is
/// never shared across tenants (a fast answer would tell one tenant that another sent the same
/// photo), and it drops what deleted results were derived from as soon as this instance deletes
/// them, and the entries of versions the registry archived or refused; a lookup on any instance still asks the store before it serves (<see cref="CachedDetection"/>).
/// </summary>
internal sealed partial class ResultCache : IResultDeletionListener
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ResultCacheKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private readonly long _maxBytes;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger<ResultCache> _logger;
    private long _bytes;

    public ResultCache(IOptions<DetectApiOptions> options, TimeProvider time, IModelCatalog catalog, ILogger<ResultCache> logger)
    {
        var o = options.Value;
        _maxBytes = o.ResultCacheMaxBytes;
        _ttl = TimeSpan.FromSeconds(o.ResultCacheTtlSeconds);
        Floor = o.ResultCacheScoreFloor;
        _time = time;
        _logger = logger;
        // An archived or refused version never serves again: its entries go as soon as the registry says so.
        ChangeToken.OnChange(catalog.Watch, () => DropRetired(catalog.Snapshot));
    }

    public bool Enabled => _maxBytes > 0;

    /// <summary>Candidates above this are kept; a request below it is not served from the cache.</summary>
    public float Floor { get; }

    public CachedImage? Find(ResultCacheKey key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return null;
            }

            if (_time.GetUtcNow() - node.Value.Added > _ttl)
            {
                RemoveLocked(node, "expired");
                return null;
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Image;
        }
    }

    public void Add(ResultCacheKey key, CachedImage image)
    {
        var bytes = image.Candidates.Bytes + (2 * key.Sha256.Length);
        if (!Enabled || bytes > _maxBytes)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                RemoveLocked(existing, null);
            }

            var node = _recency.AddFirst(new Entry(key, image, bytes, _time.GetUtcNow()));
            _entries[key] = node;
            _bytes += bytes;
            while (_bytes > _maxBytes && _recency.Last is { } oldest)
            {
                RemoveLocked(oldest, "capacity");
            }

            Publish();
        }
    }

    /// <summary>Drops one entry the store says no result holds any more.</summary>
    public void Remove(ResultCacheKey key, string reason)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                RemoveLocked(node, reason);
                Publish();
            }
        }
    }

    public void ResultsDeleted(Guid tenantId, IReadOnlyCollection<Guid> resultIds, IReadOnlyCollection<string> images)
    {
        // Dropped even when another result of the tenant holds the same image: the next repeat
        // then runs the model once more, which is cheaper than being wrong about a deletion.
        var gone = images as IReadOnlySet<string> ?? images.ToHashSet(StringComparer.Ordinal);
        var dropped = RemoveWhere(k => k.TenantId == tenantId && gone.Contains(k.Sha256), "deleted");
        if (dropped > 0)
        {
            LogDropped(_logger, dropped, tenantId, "deleted");
        }
    }

    public void TenantErased(Guid tenantId)
    {
        var dropped = RemoveWhere(k => k.TenantId == tenantId, "tenant_erased");
        if (dropped > 0)
        {
            LogDropped(_logger, dropped, tenantId, "tenant_erased");
        }
    }

    /// <summary>Drops the entries of versions the registry no longer holds active.</summary>
    internal void DropRetired(RegistrySnapshot snapshot)
    {
        var active = snapshot.Active.Select(v => (v.Manifest.Name, v.Version)).ToHashSet();
        var dropped = RemoveWhere(k => !active.Contains((k.Served.Model, k.Served.Version)), "version_retired");
        if (dropped > 0)
        {
            LogRetired(_logger, dropped);
        }
    }

    /// <summary>Entries of the tenant on this instance; 0 when none.</summary>
    public int CountFor(Guid tenantId)
    {
        lock (_lock)
        {
            return _entries.Keys.Count(k => k.TenantId == tenantId);
        }
    }

    private int RemoveWhere(Func<ResultCacheKey, bool> match, string reason)
    {
        lock (_lock)
        {
            var doomed = _entries.Where(e => match(e.Key)).Select(e => e.Value).ToList();
            foreach (var node in doomed)
            {
                RemoveLocked(node, reason);
            }

            Publish();
            return doomed.Count;
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node, string? reason)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Bytes;
        if (reason is not null)
        {
            ResultCacheMetrics.Evictions.WithLabels(reason).Inc();
        }
    }

    private void Publish()
    {
        ResultCacheMetrics.Entries.Set(_entries.Count);
        ResultCacheMetrics.Bytes.Set(_bytes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Result cache dropped {Entries} entries of tenant {TenantId} ({Reason})")]
    private static partial void LogDropped(ILogger logger, int entries, Guid tenantId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Result cache dropped {Entries} entries of archived or refused model versions")]
    private static partial void LogRetired(ILogger logger, int entries);

    private sealed record Entry(ResultCacheKey Key, CachedImage Image, long Bytes, DateTimeOffset Added);
}
