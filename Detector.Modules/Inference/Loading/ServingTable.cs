using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Inference.Loading;

/// <summary>
/// What this instance serves, published whole and never changed: the loaded versions by
/// <c>name@version</c>, and each alias's version here. An alias points at its registry target
/// once that is loaded and warm; until then (or when its target was refused) it keeps the version
/// it pointed at before, so a promotion never leaves a gap.
/// </summary>
internal sealed class ServingTable
{
    public static readonly ServingTable Empty = new(new Dictionary<string, LoadedModel>(StringComparer.Ordinal), new Dictionary<string, Dictionary<string, LoadedModel>>(StringComparer.Ordinal), []);

    private readonly Dictionary<string, LoadedModel> _byKey;
    private readonly Dictionary<string, Dictionary<string, LoadedModel>> _aliases;
    private readonly Dictionary<string, List<(string Alias, double Share)>> _variants;

    private ServingTable(Dictionary<string, LoadedModel> byKey, Dictionary<string, Dictionary<string, LoadedModel>> aliases, Dictionary<string, List<(string Alias, double Share)>> variants)
    {
        _byKey = byKey;
        _aliases = aliases;
        _variants = variants;
        All = [.. byKey.Values];
    }

    public LoadedModel[] All { get; }

    public static string Key(string model, string version) => model + ModelSelector.Separator + version;

    /// <summary>
    /// <c>name</c>: its production version here; <c>name@version</c>: that version if loaded;
    /// <c>name@alias</c>: the alias's version here.
    /// </summary>
    public bool TryGet(string selector, out LoadedModel model)
    {
        var s = ModelSelector.Parse(selector);
        if (s.Pinned && _byKey.TryGetValue(selector, out model!))
        {
            return true;
        }

        model = null!;
        return _aliases.TryGetValue(s.Name, out var aliases) && aliases.TryGetValue(s.Version ?? ModelAliases.Production, out model!);
    }

    /// <summary>
    /// The version an unpinned request for <paramref name="name"/> from <paramref name="subject"/>
    /// gets, and its variant (the alias): the subject's variant when its version is warm here,
    /// else production (the subject's interval is kept, so it returns to its variant once warm).
    /// </summary>
    public bool TryRoute(string name, string subject, out LoadedModel model, out string variant)
    {
        variant = ModelAliases.Production;
        if (_variants.TryGetValue(name, out var variants) && variants.Count > 0
            && TrafficSplit.AliasAt(variants, TrafficSplit.PointOf(name, subject)) is var alias and not ModelAliases.Production
            && _aliases[name].TryGetValue(alias, out model!))
        {
            variant = alias;
            return true;
        }

        return TryGet(name, out model);
    }

    /// <summary>The aliases that name <paramref name="model"/> here.</summary>
    public IEnumerable<string> AliasesOf(LoadedModel model) =>
        _aliases.TryGetValue(model.Manifest.Name, out var aliases) ? aliases.Where(a => ReferenceEquals(a.Value, model)).Select(a => a.Key) : [];

    /// <summary>
    /// The table for the <paramref name="loaded"/> versions the snapshot holds active (an archived
    /// or refused version is never served, pinned or not), under its aliases, keeping an alias's
    /// previous version while its target is not loaded.
    /// </summary>
    public ServingTable Next(RegistrySnapshot snapshot, IReadOnlyDictionary<string, LoadedModel> loaded)
    {
        var active = snapshot.Active.Select(v => Key(v.Manifest.Name, v.Version)).ToHashSet(StringComparer.Ordinal);
        var byKey = loaded.Where(l => active.Contains(l.Key)).ToDictionary(StringComparer.Ordinal);
        var aliases = new Dictionary<string, Dictionary<string, LoadedModel>>(StringComparer.Ordinal);
        var variants = new Dictionary<string, List<(string Alias, double Share)>>(StringComparer.Ordinal);
        foreach (var model in snapshot.Models)
        {
            variants[model.Name] = TrafficSplit.VariantsOf(model);
            var map = new Dictionary<string, LoadedModel>(StringComparer.Ordinal);
            foreach (var (alias, version) in model.Aliases)
            {
                if (byKey.TryGetValue(Key(model.Name, version), out var target))
                {
                    map[alias] = target;
                }
                else if (_aliases.TryGetValue(model.Name, out var before) && before.TryGetValue(alias, out var previous) && byKey.ContainsKey(previous.Key))
                {
                    map[alias] = previous;
                }
            }

            aliases[model.Name] = map;
        }

        return new ServingTable(byKey, aliases, variants);
    }

    /// <summary>Loaded versions this table does not serve (no longer active in the registry): safe to unload once unpublished.</summary>
    public IEnumerable<LoadedModel> Unneeded(IReadOnlyDictionary<string, LoadedModel> loaded) =>
        loaded.Values.Where(m => !_byKey.ContainsKey(m.Key));
}
