using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>
/// This instance's cache of verified keys, unknown keys and tenants, with a bounded number of
/// entries. Everything cached about a tenant hangs on that tenant's change token, so one
/// notification (a revoked key, a disabled tenant, a new plan) drops all of it at once.
/// </summary>
internal sealed class TenancyCache : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _tenantTokens = new();
    private readonly TimeSpan _trusted;
    private readonly TimeSpan _unknownFor;
    private long _epoch;

    public TenancyCache(IOptions<TenancyOptions> tenancy, IOptions<GuardOptions> guards)
    {
        // Two entries per tenant key (the key, its tenant) beside the unknown keys.
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = guards.Value.UnknownKeyCacheEntries + 100_000 });
        _trusted = TimeSpan.FromSeconds(tenancy.Value.KeyCacheSeconds);
        _unknownFor = TimeSpan.FromSeconds(guards.Value.UnknownKeyCacheSeconds);
    }

    public bool TryGet<T>(object key, out T? value) => _cache.TryGetValue(key, out value);

    /// <summary>
    /// Advances on every change heard. Take it before reading the database and pass it to
    /// <see cref="SetForTenant"/>: what was read while a change came in is not cached.
    /// </summary>
    public long Epoch => Volatile.Read(ref _epoch);

    /// <summary>Caches something about a tenant until the tenant changes, the trust period passes, or <paramref name="maxAge"/>.</summary>
    public void SetForTenant(object key, object value, Guid tenantId, long epochBefore, TimeSpan? maxAge = null)
    {
        var age = maxAge is { } m && m < _trusted ? m : _trusted;
        if (age <= TimeSpan.Zero)
        {
            return;
        }

        var token = _tenantTokens.GetOrAdd(tenantId, _ => new CancellationTokenSource()).Token;
        if (Epoch != epochBefore)
        {
            return;
        }

        using var entry = _cache.CreateEntry(key);
        entry.Value = value;
        entry.Size = 1;
        entry.AbsoluteExpirationRelativeToNow = age;
        entry.AddExpirationToken(new CancellationChangeToken(token));
    }

    /// <summary>Remembers that a key hash is unknown; dropped silently when the cache is full.</summary>
    public void SetUnknown(object key)
    {
        using var entry = _cache.CreateEntry(key);
        entry.Value = true;
        entry.Size = 1;
        entry.AbsoluteExpirationRelativeToNow = _unknownFor;
    }

    /// <summary>Raised after a tenant changed (null: every tenant may have), for state kept outside this cache.</summary>
    public event Action<Guid?>? Changed;

    /// <summary>Drops everything cached about the tenant.</summary>
    public void Invalidate(Guid tenantId)
    {
        Drop(tenantId);
        Changed?.Invoke(tenantId);
    }

    private void Drop(Guid tenantId)
    {
        Interlocked.Increment(ref _epoch);
        if (_tenantTokens.TryRemove(tenantId, out var cts))
        {
            // Not disposed: entries created just before may still register on its token.
            cts.Cancel();
        }
    }

    /// <summary>Drops everything (the notification channel was lost, so changes may have been missed).</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _epoch);
        foreach (var tenantId in _tenantTokens.Keys)
        {
            Drop(tenantId);
        }

        _cache.Compact(1.0);
        Changed?.Invoke(null);
    }

    public void Dispose()
    {
        InvalidateAll();
        _cache.Dispose();
    }
}
