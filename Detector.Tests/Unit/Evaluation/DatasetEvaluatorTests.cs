using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Evaluation;
using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using Detector.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SkiaSharp;

namespace Detector.Tests.Unit.Evaluation;

/// <summary>The runner and the command, driven by an oracle detector that answers with the ground truth.</summary>
public sealed class DatasetEvaluatorTests : IDisposable
{
    private static readonly ModelManifest Manifest = new()
    {
        Name = "oracle",
        Version = "0123456789ab",
        FilePath = "oracle.onnx",
        Family = ModelFamily.Yolox,
        InputName = "images",
        Preprocess = new PreprocessSpec(32, 32, ColorOrder.Rgb, ResizeMode.Stretch, 0, [0, 0, 0], [1, 1, 1]),
        Strides = [8],
        Labels = ["person", "dog", "bottle"],
        CocoCategoryIds = [1, 18, 44],
    };

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"eval-tests-{Guid.NewGuid():N}");

    public DatasetEvaluatorTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "images"));
        WriteJpeg(Path.Combine(_root, "images", "a.jpg"), 64, 48);
        WriteJpeg(Path.Combine(_root, "images", "b.jpg"), 80, 50);

        // c.jpg is annotated but absent: it must be skipped, not scored as all misses.
        var annotations = new
        {
            images = new object[]
            {
                new { id = 1, file_name = "a.jpg", width = 64, height = 48 },
                new { id = 2, file_name = "b.jpg", width = 80, height = 50 },
                new { id = 3, file_name = "c.jpg", width = 50, height = 50 },
            },
            annotations = new object[]
            {
                new { id = 10, image_id = 1, category_id = 1, bbox = new[] { 4.0, 4, 20, 30 }, area = 500.0, iscrowd = 0 },
                new { id = 11, image_id = 1, category_id = 18, bbox = new[] { 30.0, 10, 30, 20 }, area = 550.0, iscrowd = 0 },
                new { id = 12, image_id = 2, category_id = 18, bbox = new[] { 10.0, 5, 50, 40 }, area = 1900.0, iscrowd = 0 },
                new { id = 13, image_id = 3, category_id = 1, bbox = new[] { 0.0, 0, 10, 10 }, area = 100.0, iscrowd = 0 },
            },
            categories = new object[]
            {
                new { id = 1, name = "person" },
                new { id = 18, name = "dog" },
                new { id = 44, name = "bottle" },
            },
        };
        File.WriteAllText(AnnotationsPath, JsonSerializer.Serialize(annotations));
    }

    private string AnnotationsPath => Path.Combine(_root, "instances.json");

    private string ImagesPath => Path.Combine(_root, "images");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task An_oracle_detector_scores_one_and_the_results_file_is_COCO_json()
    {
        var detector = new OracleDetector(CocoDataset.Load(AnnotationsPath));
        var evaluator = new DatasetEvaluator(detector, new Catalog(), new SkiaImageScaler());
        var resultsPath = Path.Combine(_root, "out", "results.json");

        var report = await evaluator.EvaluateAsync(
            new EvaluationSettings { Model = "oracle", AnnotationsPath = AnnotationsPath, ImagesDirectory = ImagesPath, ResultsPath = resultsPath },
            CancellationToken.None);

        Assert.Equal(2, report.ImageCount);
        Assert.Equal(3, report.DetectionCount);
        Assert.Equal(1.0, report.Stats.MapAll, 6);
        Assert.Equal(1.0, report.Stats.Ar100, 6);
        Assert.Equal(["person", "dog"], report.PerClassAp.Keys);

        // The pipeline was asked with the evaluation settings, in the background class.
        Assert.All(detector.Requests, r =>
        {
            Assert.Equal("oracle", r.Model);
            Assert.Equal(DetectionPriority.Background, r.Priority);
            Assert.Equal(0.01f, r.Options.MinScore);
            Assert.Equal(0.65f, r.Options.Iou);
            Assert.Equal(100, r.Options.MaxDetections);
        });

        var written = CocoResultsFile.Parse(await File.ReadAllTextAsync(resultsPath));
        Assert.Contains(written, d => d.ImageId == 1 && d.CategoryId == 18 && d.Box == new CocoBox(30, 10, 30, 20));
    }

    [Fact]
    public async Task Scaling_enlarges_images_and_ground_truth_together()
    {
        var detector = new OracleDetector(CocoDataset.Load(AnnotationsPath));
        var evaluator = new DatasetEvaluator(detector, new Catalog(), new SkiaImageScaler());

        var report = await evaluator.EvaluateAsync(
            new EvaluationSettings { Model = "oracle", AnnotationsPath = AnnotationsPath, ImagesDirectory = ImagesPath, Scale = 2 },
            CancellationToken.None);

        Assert.Equal([(128, 96), (160, 100)], detector.Sizes.Order());
        Assert.Equal(1.0, report.Stats.MapAll, 6);
    }

    [Fact]
    public void Detections_map_class_index_to_COCO_id_and_corners_to_width_and_height()
    {
        var coco = DatasetEvaluator.ToCoco(7, [new Modules.Inference.Contracts.Detection("dog", 1, 0.5f, [10, 20, 40, 60])], Manifest);

        Assert.Equal(new CocoDetection(7, 18, new CocoBox(10, 20, 30, 40), 0.5), Assert.Single(coco));
    }

    [Fact]
    public async Task The_eval_command_prints_the_report_and_exits_zero()
    {
        var services = Services();
        var output = new StringWriter();
        var resultsPath = Path.Combine(_root, "r.json");

        var code = await EvalCommand.RunAsync(
            services,
            ["eval", "--model", "oracle", "--annotations", AnnotationsPath, "--images", ImagesPath, "--out", resultsPath, "--min-score", "0.05", "--scale=1"],
            output,
            CancellationToken.None);

        Assert.Equal(0, code);
        var text = output.ToString();
        Assert.Contains("mAP@[.5:.95] 1.000", text, StringComparison.Ordinal);
        Assert.Contains("Images evaluated 2", text, StringComparison.Ordinal);
        Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000", text, StringComparison.Ordinal);
        Assert.True(File.Exists(resultsPath));
    }

    [Theory]
    [InlineData("")]
    [InlineData("train")]
    [InlineData("eval --model oracle")]
    [InlineData("eval --model oracle --annotations /nonexistent.json --images /tmp")]
    [InlineData("eval --model oracle --annotations A --images I --iou abc")]
    [InlineData("eval --model oracle --annotations A --images I --scale 0")]
    [InlineData("eval --model oracle --annotations A --images I --max-detections 2.5")]
    [InlineData("eval --model oracle --annotations A --images I --bogus 1")]
    [InlineData("eval --model")]
    public async Task Bad_arguments_print_usage_and_exit_two(string commandLine)
    {
        // "A" and "I" stand for the real paths, so only the argument under test is wrong.
        string[] args = [.. commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a switch { "A" => AnnotationsPath, "I" => ImagesPath, _ => a })];
        var output = new StringWriter();

        var code = await EvalCommand.RunAsync(Services(), args, output, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("usage: eval --model", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_exits_two()
    {
        var output = new StringWriter();

        var code = await EvalCommand.RunAsync(
            Services(), ["eval", "--model", "nope", "--annotations", AnnotationsPath, "--images", ImagesPath], output, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("nope", output.ToString(), StringComparison.Ordinal);
    }

    private ServiceProvider Services()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IObjectDetector>(new OracleDetector(CocoDataset.Load(AnnotationsPath)));
        builder.Services.AddSingleton<IModelCatalog>(new Catalog());
        builder.AddPreprocessing();
        builder.AddDatasetEvaluation();
        return builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    private static void WriteJpeg(string path, int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor(200, 100, 50));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, data.ToArray());
    }

    private sealed class Catalog : IModelCatalog
    {
        public string DefaultModel => Manifest.Name;

        public IReadOnlyList<ModelManifest> Models => [Manifest];

        public RegistrySnapshot Snapshot { get; } = new([new RegisteredModel(Manifest.Name, [new ModelVersion(Manifest, VersionState.Active, null, 1, "test", DateTimeOffset.UnixEpoch)], new Dictionary<string, string> { [ModelAliases.Production] = Manifest.Version })], 0);

        public ModelManifest? Find(string name) => name == Manifest.Name ? Manifest : null;

        public Microsoft.Extensions.Primitives.IChangeToken Watch() => Microsoft.Extensions.FileProviders.NullChangeToken.Singleton;
    }

    /// <summary>Recognises each image by its aspect ratio and answers with its ground truth, scaled to the size it was sent at.</summary>
    private sealed class OracleDetector(CocoDataset truth) : IObjectDetector
    {
        private readonly Lock _gate = new();

        public List<DetectionRequest> Requests { get; } = [];

        public List<(int Width, int Height)> Sizes { get; } = [];

        public AdmissionTicket? AdmitEarly(string? model, Guid tenantId, string? subject, int maxInFlight, DateTimeOffset? deadline, bool allowDegradation, out DomainException? refusal)
        {
            refusal = null;
            return null;
        }

        public ServingIdentity? Identify(string? model, string? subject = null, Guid? tenantId = null) => null;

        public IReadOnlyList<Modules.Inference.Contracts.Detection>? Rethreshold(ServingIdentity served, CandidateSnapshot candidates, DetectionOptions options) => null;

        public Task<DetectionOutcome> DetectAsync(DetectionRequest request, CancellationToken cancellationToken)
        {
            using var bitmap = SKBitmap.Decode(request.Image.ToArray());
            lock (_gate)
            {
                Requests.Add(request);
                Sizes.Add((bitmap.Width, bitmap.Height));
            }

            var image = truth.Images.Single(i => i.Width * bitmap.Height == i.Height * bitmap.Width);
            var factor = (float)bitmap.Width / image.Width;
            var detections = truth.Annotations
                .Where(a => a.ImageId == image.Id)
                .Select(a =>
                {
                    var classId = Manifest.CocoCategoryIds.ToList().IndexOf(a.CategoryId);
                    float x = (float)a.Box.X * factor, y = (float)a.Box.Y * factor;
                    float w = (float)a.Box.Width * factor, h = (float)a.Box.Height * factor;
                    return new Modules.Inference.Contracts.Detection(Manifest.Labels[classId], classId, 0.9f, [x, y, x + w, y + h]);
                })
                .ToList();
            var timings = new DetectionTimings(0, 0, 0, 0, 0, 1);
            return Task.FromResult(new DetectionOutcome(Manifest.Name, Manifest.Version, bitmap.Width, bitmap.Height, "jpeg", detections, timings));
        }
    }
}
