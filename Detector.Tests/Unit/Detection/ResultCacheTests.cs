using Detector.Modules.Detection;
using Detector.Modules.Detection.DetectAndRecord;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Postprocessing;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Detector.Tests.Unit.Detection;

/// <summary>The result cache's bounds: bytes with least-recently-used eviction, a time to live, tenants apart, deletions dropped.</summary>
public sealed class ResultCacheTests
{
    private static readonly ServingIdentity Served = new("yolox_nano_416", "abc123", "416x416");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void Past_its_byte_budget_the_least_recently_used_entry_goes_first()
    {
        var entry = Image(100);
        var cache = Cache(maxBytes: (3 * (entry.Candidates.Bytes + 128)) + 10);
        var (a, b, c, d) = (Key(1), Key(2), Key(3), Key(4));
        cache.Add(a, entry);
        cache.Add(b, entry);
        cache.Add(c, entry);
        Assert.NotNull(cache.Find(a)); // a is now the most recently used; b the least

        cache.Add(d, entry);

        Assert.Null(cache.Find(b));
        Assert.NotNull(cache.Find(a));
        Assert.NotNull(cache.Find(c));
        Assert.NotNull(cache.Find(d));
    }

    [Fact]
    public void An_entry_past_its_time_to_live_is_not_served_however_often_it_was_used()
    {
        var cache = Cache(ttlSeconds: 60);
        var key = Key(1);
        cache.Add(key, Image(5));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(cache.Find(key));

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(cache.Find(key));
    }

    [Fact]
    public void One_tenants_entry_never_answers_another_tenant_for_the_same_image()
    {
        var cache = Cache();
        var key = Key(1);
        cache.Add(key, Image(5));

        Assert.Null(cache.Find(key with { TenantId = Guid.NewGuid() }));
        Assert.Null(cache.Find(key with { Served = Served with { Version = "def456" } }));
        Assert.Null(cache.Find(key with { Served = Served with { Preprocessing = "320x320" } }));
        Assert.NotNull(cache.Find(key));
    }

    [Fact]
    public void Deleted_results_drop_their_images_entries_for_that_tenant_only_and_an_erase_drops_all_of_the_tenants()
    {
        var cache = Cache();
        var mine = Key(1);
        var mineOther = Key(2) with { TenantId = mine.TenantId };
        var theirs = Key(1) with { TenantId = Guid.NewGuid() };
        foreach (var key in new[] { mine, mineOther, theirs })
        {
            cache.Add(key, Image(5));
        }

        cache.ResultsDeleted(mine.TenantId, [Guid.NewGuid()], [mine.Sha256]);
        Assert.Null(cache.Find(mine));
        Assert.NotNull(cache.Find(mineOther));
        Assert.NotNull(cache.Find(theirs));

        cache.TenantErased(mine.TenantId);
        Assert.Equal(0, cache.CountFor(mine.TenantId));
        Assert.NotNull(cache.Find(theirs));
    }

    [Fact]
    public void A_zero_budget_keeps_nothing()
    {
        var cache = Cache(maxBytes: 0);
        Assert.False(cache.Enabled);
        cache.Add(Key(1), Image(5));
        Assert.Null(cache.Find(Key(1)));
    }

    [Fact]
    public void Entries_of_a_version_the_registry_archives_are_dropped_at_once_and_others_stay()
    {
        var catalog = new Registry();
        var cache = Cache(catalog: catalog);
        var other = Key(2) with { Served = new ServingIdentity("yolox_nano_416", "def456", "416x416") };
        cache.Add(Key(1), Image(5));
        cache.Add(other, Image(5));

        catalog.Publish("def456");

        Assert.Null(cache.Find(Key(1)));
        Assert.NotNull(cache.Find(other));
    }

    private ResultCache Cache(long maxBytes = 1 << 20, int ttlSeconds = 3600, Registry? catalog = null) =>
        new(Options.Create(new DetectApiOptions { ResultCacheMaxBytes = maxBytes, ResultCacheTtlSeconds = ttlSeconds }), _clock, catalog ?? new Registry(), NullLogger<ResultCache>.Instance);

    /// <summary>A registry whose active versions of YOLOX-nano the test sets.</summary>
    private sealed class Registry : IModelCatalog
    {
        private CancellationTokenSource _changed = new();

        public string DefaultModel => "yolox_nano_416";

        public RegistrySnapshot Snapshot { get; private set; } = Of("abc123", "def456");

        public IReadOnlyList<ModelManifest> Models => [];

        public ModelManifest? Find(string name) => null;

        public Microsoft.Extensions.Primitives.IChangeToken Watch() => new Microsoft.Extensions.Primitives.CancellationChangeToken(_changed.Token);

        public void Publish(params string[] active)
        {
            Snapshot = Of(active);
            var fired = _changed;
            _changed = new CancellationTokenSource();
            fired.Cancel();
        }

        private static RegistrySnapshot Of(params string[] active) => new(
            [new RegisteredModel("yolox_nano_416", [.. active.Select(v => new ModelVersion(Manifest(v), VersionState.Active, null, 1, "test", DateTimeOffset.UnixEpoch))], new Dictionary<string, string>())],
            0);

        private static ModelManifest Manifest(string version) => new()
        {
            Name = "yolox_nano_416",
            Version = version,
            FilePath = "x.onnx",
            Family = ModelFamily.Yolox,
            InputName = "images",
            Preprocess = new Detector.Modules.Preprocessing.Contracts.PreprocessSpec(416, 416, Detector.Modules.Preprocessing.Contracts.ColorOrder.Bgr, Detector.Modules.Preprocessing.Contracts.ResizeMode.LetterboxTopLeft, 114, [0, 0, 0], [1, 1, 1]),
            Strides = [8],
            Labels = ["person"],
        };
    }

    private static ResultCacheKey Key(int image) => new(Guid.Parse("00000000-0000-0000-0000-000000000001"), image.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), Served);

    private static CachedImage Image(int candidates)
    {
        var items = Enumerable.Range(0, candidates).Select(i => new Candidate { X1 = i, Y1 = i, X2 = i + 10, Y2 = i + 10, Score = 0.5f, ClassId = 0 }).ToArray();
        return new CachedImage(CandidateSnapshot.Above(items, 0.05f)!, 640, 480, "jpeg");
    }
}
