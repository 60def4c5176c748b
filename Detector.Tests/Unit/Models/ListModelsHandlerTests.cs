using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.ListModels;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Tests.Unit.Models;

/// <summary>The ListModels use case apart from its endpoint, which only answers what the handler lists.</summary>
public sealed class ListModelsHandlerTests
{
    [Fact]
    public void Lists_every_served_model_with_its_input_size_and_classes_and_marks_the_default()
    {
        var handler = new ListModelsHandler(new Catalog([Manifest("yolox_nano_416", ModelFamily.Yolox, 416), Manifest("picodet_s_320", ModelFamily.Gfl, 320)], "picodet_s_320"));

        var list = handler.Handle();

        Assert.Equal(
            [
                new ModelSummary("yolox_nano_416", "v-yolox_nano_416", "yolox", 416, 416, 2, false),
                new ModelSummary("picodet_s_320", "v-picodet_s_320", "gfl", 320, 320, 2, true),
            ],
            list.Models.Select(m => m with { Aliases = new Dictionary<string, string>(), Versions = [] }).ToList(),
            new SummaryFields());
    }

    [Fact]
    public void Lists_every_version_of_a_model_with_the_aliases_that_name_it_and_serves_the_production_one()
    {
        var v1 = Manifest("yolox_nano_416", ModelFamily.Yolox, 416);
        var v2 = v1 with { Version = "v2", Precision = "fp16" };
        var model = new RegisteredModel("yolox_nano_416", [Version(v1), Version(v2)], new Dictionary<string, string> { ["production"] = "v2", ["canary"] = "v-yolox_nano_416" });
        var handler = new ListModelsHandler(new Catalog([v1], "yolox_nano_416", new RegistrySnapshot([model], 1)));

        var listed = Assert.Single(handler.Handle().Models);

        Assert.Equal("v2", listed.Version);
        Assert.Equal("fp16", listed.Precision);
        Assert.Equal(["v-yolox_nano_416", "v2"], listed.Versions.Select(v => v.Version));
        Assert.Equal(["canary"], listed.Versions[0].Aliases);
        Assert.Equal(["production"], listed.Versions[1].Aliases);
        Assert.Equal("v2", listed.Aliases["production"]);
    }

    private static ModelVersion Version(ModelManifest m) => new(m, VersionState.Active, null, 1, "test", DateTimeOffset.UnixEpoch);

    /// <summary>Record equality without the list and map members, which compare by reference.</summary>
    private sealed class SummaryFields : IEqualityComparer<ModelSummary>
    {
        public bool Equals(ModelSummary? x, ModelSummary? y) =>
            x is not null && y is not null && (x.Name, x.Version, x.Family, x.InputWidth, x.InputHeight, x.Classes, x.IsDefault, x.Precision) == (y.Name, y.Version, y.Family, y.InputWidth, y.InputHeight, y.Classes, y.IsDefault, y.Precision);

        public int GetHashCode(ModelSummary obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }

    private static ModelManifest Manifest(string name, ModelFamily family, int size) => new()
    {
        Name = name,
        Version = "v-" + name,
        FilePath = name + ".onnx",
        Family = family,
        InputName = "images",
        Preprocess = new PreprocessSpec(size, size, ColorOrder.Rgb, ResizeMode.Stretch, 0, [0, 0, 0], [1, 1, 1]),
        Strides = [8],
        Labels = ["person", "dog"],
    };

    private sealed class Catalog(IReadOnlyList<ModelManifest> models, string defaultModel, RegistrySnapshot? snapshot = null) : IModelCatalog
    {
        public string DefaultModel => defaultModel;

        public RegistrySnapshot Snapshot { get; } = snapshot ?? new([.. models.Select(m => new RegisteredModel(m.Name, [Version(m)], new Dictionary<string, string> { ["production"] = m.Version }))], 0);

        public IReadOnlyList<ModelManifest> Models => models;

        public ModelManifest? Find(string name) => models.FirstOrDefault(m => m.Name == name);

        public Microsoft.Extensions.Primitives.IChangeToken Watch() => Microsoft.Extensions.FileProviders.NullChangeToken.Singleton;
    }
}
