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
            list.Models);
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

    private sealed class Catalog(IReadOnlyList<ModelManifest> models, string defaultModel) : IModelCatalog
    {
        public string DefaultModel => defaultModel;

        public IReadOnlyList<ModelManifest> Models => models;

        public ModelManifest? Find(string name) => models.FirstOrDefault(m => m.Name == name);
    }
}
