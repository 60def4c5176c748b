using System.Collections.Frozen;
using System.Threading.Channels;
using Detector.Modules.Common.Resilience;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Tenancy.Browser;

/// <summary>
/// Every enabled tenant's allowed origins, in memory: preflights are answered from here without
/// a key or the database, and browser-key requests are checked against it. Loaded when Tenancy's
/// change feed starts listening (and again whenever it may have missed changes), and one tenant
/// reloaded on each of its changes; until the first load, nothing is allowed.
/// </summary>
internal sealed partial class BrowserOrigins : BackgroundService
{
    // Before the first load nothing is allowed: an empty snapshot says so by itself.
    private static readonly Snapshot Empty = new(FrozenDictionary<Guid, FrozenSet<string>>.Empty, FrozenSet<string>.Empty);
    private readonly Channel<Guid?> _changes = Channel.CreateUnbounded<Guid?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TenantStore _store;
    private readonly ILogger<BrowserOrigins> _logger;
    private readonly Lock _write = new();
    private volatile Snapshot _current = Empty;

    public BrowserOrigins(TenantStore store, TenancyCache changes, ILogger<BrowserOrigins> logger)
    {
        _store = store;
        _logger = logger;
        changes.Changed += tenant => _changes.Writer.TryWrite(tenant);
        _changes.Writer.TryWrite(null);
    }

    /// <summary>Whether some tenant allows the origin (a preflight names no key, so it cannot say whose).</summary>
    public bool AnyTenantAllows(string origin) => _current.All.Contains(origin);

    public bool TenantAllows(Guid tenantId, string origin) =>
        _current.ByTenant.TryGetValue(tenantId, out var origins) && origins.Contains(origin);

    /// <summary>Takes a committed change on this instance at once (other instances hear it through the feed).</summary>
    public void Apply(Guid tenantId, IReadOnlyCollection<string> origins)
    {
        var updated = origins.ToFrozenSet(StringComparer.Ordinal);
        lock (_write)
        {
            // Most tenant changes (plans, keys) leave the origins as they were: no rebuild then.
            var had = _current.ByTenant.TryGetValue(tenantId, out var current) ? current : FrozenSet<string>.Empty;
            if (!had.SetEquals(updated))
            {
                Publish(_current.ByTenant.Where(kv => kv.Key != tenantId).Append(new(tenantId, updated)));
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        await foreach (var change in _changes.Reader.ReadAllAsync(stoppingToken))
        {
            // A burst of changes collapses: a full reload covers every tenant change queued behind it.
            var reloadAll = change is null;
            var tenants = new HashSet<Guid>();
            if (change is { } first)
            {
                tenants.Add(first);
            }

            while (_changes.Reader.TryRead(out var next))
            {
                reloadAll |= next is null;
                if (next is { } id)
                {
                    tenants.Add(id);
                }
            }

            try
            {
                await ReloadAsync(reloadAll ? null : tenants, stoppingToken);
                failures = 0;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                var delay = Backoff.Exponential(++failures, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
                LogReloadFailed(_logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, stoppingToken);
                if (reloadAll)
                {
                    _changes.Writer.TryWrite(null);
                }
                else
                {
                    foreach (var id in tenants)
                    {
                        _changes.Writer.TryWrite(id);
                    }
                }
            }
        }
    }

    private async Task ReloadAsync(IReadOnlyCollection<Guid>? tenants, CancellationToken ct)
    {
        if (tenants is null)
        {
            var all = await _store.OriginsAsync(null, ct);
            lock (_write)
            {
                Publish(all.Select(t => new KeyValuePair<Guid, FrozenSet<string>>(t.TenantId, t.Origins.ToFrozenSet(StringComparer.Ordinal))));
            }

            return;
        }

        foreach (var tenantId in tenants)
        {
            var rows = await _store.OriginsAsync(tenantId, ct);
            Apply(tenantId, rows.Count == 0 ? [] : rows[0].Origins);
        }
    }

    private void Publish(IEnumerable<KeyValuePair<Guid, FrozenSet<string>>> byTenant)
    {
        var map = byTenant.Where(kv => kv.Value.Count > 0).ToFrozenDictionary();
        _current = new Snapshot(map, map.Values.SelectMany(o => o).ToFrozenSet(StringComparer.Ordinal));
    }

    private sealed record Snapshot(FrozenDictionary<Guid, FrozenSet<string>> ByTenant, FrozenSet<string> All);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading tenants' allowed origins failed; retrying in {DelaySeconds} s")]
    private static partial void LogReloadFailed(ILogger logger, double delaySeconds, Exception exception);
}
