using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Rollouts.Comparison;

/// <summary>A breach of a guardrail, as the rollout view shows it.</summary>
internal sealed record Breach(DateTimeOffset At, string Alias, string Version, string Guardrail, string Reason);

/// <summary>
/// What this instance saw of each model's variants over the sliding window: every served
/// request by variant, and every off-path comparison by candidate; and the last breach. A
/// variant whose version changes starts an empty window.
/// </summary>
internal sealed class RolloutState(IOptions<RolloutsOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ModelRollout> _models = new(StringComparer.Ordinal);

    public DateTimeOffset Now => time.GetUtcNow();

    public ModelRollout For(string model) => _models.GetOrAdd(model, _ => new ModelRollout(options.Value));

    public ModelRollout? Find(string model) => _models.GetValueOrDefault(model);
}

internal sealed class ModelRollout(RolloutsOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Window<Served>> _served = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Window<Compared>> _compared = new(StringComparer.Ordinal);

    public Breach? LastBreach { get; private set; }

    public void Add(string variant, string version, Served item)
    {
        lock (_lock)
        {
            WindowOf(_served, variant, version, s => s.At).Add(item);
        }
    }

    public void Add(string candidate, string version, Compared item)
    {
        lock (_lock)
        {
            WindowOf(_compared, candidate, version, c => c.At).Add(item);
        }
    }

    public void Record(Breach breach)
    {
        lock (_lock)
        {
            LastBreach = breach;
            _served.Remove(breach.Alias);
            _compared.Remove(breach.Alias);
        }
    }

    public VariantSummary? Variant(string variant, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _served.TryGetValue(variant, out var w) ? Summaries.Of(variant, w.Version, w.Current(now)) : null;
        }
    }

    public ComparisonSummary? Comparison(string candidate, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _compared.TryGetValue(candidate, out var w) ? Summaries.Of(candidate, w.Version, w.Current(now)) : null;
        }
    }

    public IReadOnlyList<VariantSummary> Variants(DateTimeOffset now)
    {
        lock (_lock)
        {
            return [.. _served.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => Summaries.Of(kv.Key, kv.Value.Version, kv.Value.Current(now)))];
        }
    }

    public IReadOnlyList<ComparisonSummary> Comparisons(DateTimeOffset now)
    {
        lock (_lock)
        {
            return [.. _compared.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => Summaries.Of(kv.Key, kv.Value.Version, kv.Value.Current(now)))];
        }
    }

    private Window<T> WindowOf<T>(Dictionary<string, Window<T>> windows, string key, string version, Func<T, DateTimeOffset> at)
    {
        if (!windows.TryGetValue(key, out var window) || window.Version != version)
        {
            window = new Window<T>(version, options.WindowSize, TimeSpan.FromSeconds(options.WindowSeconds), at);
            windows[key] = window;
        }

        return window;
    }
}
