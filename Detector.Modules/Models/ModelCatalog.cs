using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Detector.Modules.Models;

/// <summary>
/// The registry as this instance last read it. It starts from the seed manifests (all the
/// <c>eval</c> command has), and the registry feed publishes each read of PostgreSQL over it.
/// Readers take <see cref="Snapshot"/> once and use it whole: it never changes under them.
/// </summary>
internal sealed partial class ModelCatalog : IModelCatalog, IDisposable
{
    private readonly HashSet<string> _enabled;
    private readonly ILogger<ModelCatalog> _logger;
    private readonly Lock _publishing = new();
    private State _state;
    private CancellationTokenSource _changed = new();

    public ModelCatalog(IOptions<ModelsOptions> options, ILogger<ModelCatalog> logger)
    {
        var o = options.Value;
        _logger = logger;
        _enabled = [.. o.Enabled];
        Seeds = [.. SeedManifests.Read(o).Where(s => Serves(s.Name))];
        if (Seeds.Count == 0)
        {
            throw new InvalidOperationException($"No model manifests found in '{o.ManifestDirectory}'.");
        }

        if (!Seeds.Any(s => s.Name == o.Default))
        {
            throw new InvalidOperationException($"Default model '{o.Default}' is not among the served models ({string.Join(", ", Seeds.Select(s => s.Name))}).");
        }

        DefaultModel = o.Default;
        var models = Seeds.Select(s => new RegisteredModel(
            s.Name,
            [new ModelVersion(s.Manifest, VersionState.Active, null, s.SizeBytes, "seed", DateTimeOffset.UtcNow)],
            new Dictionary<string, string> { [ModelAliases.Production] = s.Manifest.Version })).ToList();
        _state = new State(new RegistrySnapshot(models, 0));
        foreach (var s in Seeds)
        {
            LogSeed(logger, s.Name, s.Manifest.Version, s.Manifest.Family, s.Manifest.FilePath);
        }
    }

    /// <summary>The seed manifests this instance serves, hashed once at start.</summary>
    internal IReadOnlyList<Seed> Seeds { get; }

    public string DefaultModel { get; }

    public RegistrySnapshot Snapshot => Volatile.Read(ref _state).Snapshot;

    public IReadOnlyList<ModelManifest> Models => Volatile.Read(ref _state).Production;

    public ModelManifest? Find(string name)
    {
        var selector = ModelSelector.Parse(name);
        var model = Snapshot.Model(selector.Name);
        return selector.Pinned ? model?.Resolve(selector.Version!)?.Manifest : model?.Production?.Manifest;
    }

    public IChangeToken Watch() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    /// <summary>Replaces the snapshot with a newer read (models not enabled here left out) and fires the watchers.</summary>
    internal void Publish(IReadOnlyList<RegisteredModel> models)
    {
        CancellationTokenSource fired;
        lock (_publishing)
        {
            var served = models.Where(m => Serves(m.Name)).ToList();
            _state = new State(new RegistrySnapshot(served, _state.Snapshot.Generation + 1));
            fired = _changed;
            _changed = new CancellationTokenSource();
        }

        if (_state.Snapshot.Model(DefaultModel)?.Production is null)
        {
            LogDefaultUnserved(_logger, DefaultModel);
        }

        // Not disposed: a watcher may still register on the token it took.
        fired.Cancel();
    }

    public void Dispose() => _changed.Dispose();

    private bool Serves(string name) => _enabled.Count == 0 || _enabled.Contains(name);

    private sealed class State(RegistrySnapshot snapshot)
    {
        public RegistrySnapshot Snapshot { get; } = snapshot;

        public IReadOnlyList<ModelManifest> Production { get; } = [.. snapshot.Models.Select(m => m.Production?.Manifest).OfType<ModelManifest>()];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed model {Model} version {Version} ({Family}) from {File}")]
    private static partial void LogSeed(ILogger logger, string model, string version, ModelFamily family, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The default model {Model} has no production version in the registry: requests that name no model are refused")]
    private static partial void LogDefaultUnserved(ILogger logger, string model);
}
