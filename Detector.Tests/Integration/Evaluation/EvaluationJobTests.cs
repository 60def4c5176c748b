using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Detector.Modules.Common;
using Detector.Tests.Integration.Models;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Evaluation.EvaluationKit;

namespace Detector.Tests.Integration.Evaluation;

/// <summary>
/// Evaluation jobs against a real service process and database: every model's job reproduces the
/// reference mAP of MODELS.md with the whole report, and a job killed with -9 half way resumes
/// after a restart and gives the same report as an uninterrupted one.
/// </summary>
[Collection("Jobs")]
public sealed class EvaluationJobTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    [Theory]
    [InlineData("yolox_nano_416", 0.318, "9dc044b5eef13d66659056049cb1b970aaac7dd7a0b72381b00fa7b1d9a83c01")]
    [InlineData("picodet_s_320", 0.333, "f1c2a04655c30dfdfd26c4d5116ab6a07dae10aaadb3581524c6107c10eaa5b3")]
    [InlineData("picodet_s_416", 0.358, "98af1c0a7131c5da6ac900fdf4351dbfe6de9b453160631eb51f41783e848efa")]
    [InlineData("nanodet_m_416", 0.280, "694eb488947ba2fecfeaf1b3810278fb6bcd97d2465162ebdf2159fad19ff7cd")]
    public async Task An_evaluation_job_reproduces_the_reference_map_with_classes_confusion_calibration_latency_and_the_versions_sha256(string model, double referenceMap, string sha256)
    {
        var host = await Harness.StartAsync("eval", extra: Settings(Path.Combine(TestPaths.Shared, "datasets"), model));
        using var admin = RegistryKit.Admin(host.BaseUri);

        var report = await RunAsync(admin, model, "coco-ccby/annotations/instances_val2017.json", "coco-ccby/val2017");

        Output.WriteLine(report.ToJsonString());
        Assert.InRange(report["stats"]!["map_all"]!.GetValue<double>(), referenceMap - 0.005, referenceMap + 0.005);
        Assert.Equal(sha256, report["sha256"]!.GetValue<string>());
        Assert.Equal(31, report["image_count"]!.GetValue<int>());
        var classes = report["classes"]!.AsArray();
        Assert.True(classes.Count >= 20, $"{classes.Count} classes");
        Assert.All(classes, c => Assert.Equal(101, c!["precision_at_recall"]!.AsArray().Count));
        Assert.Equal("background", report["confusion"]!["labels"]!.AsArray()[^1]!.GetValue<string>());
        Assert.Equal(10, report["calibration"]!["bins"]!.AsArray().Count);
        Assert.InRange(report["calibration"]!["expected_calibration_error"]!.GetValue<double>(), 0.0, 1.0);
        Assert.True(report["latency"]!["p50_ms"]!.GetValue<double>() > 0);
        Assert.True(report["cost"]!["core_ms_per_image"]!.GetValue<double>() > 0);
        Assert.True(report["cost"]!["cost_per_thousand_images"]!.GetValue<double>() > 0);
    }

    [Fact]
    public async Task An_evaluation_killed_mid_run_resumes_after_a_restart_and_gives_the_same_report_as_an_uninterrupted_one()
    {
        // The 31 val2017 images ten times over (distinct image ids): long enough to kill half way.
        var root = Path.Combine(Artifacts, "datasets");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "repeated.json"), Repeated(File.ReadAllText(Path.Combine(TestPaths.Coco, "annotations", "instances_val2017.json")), 10));
        Directory.CreateSymbolicLink(Path.Combine(root, "val2017"), Path.Combine(TestPaths.Coco, "val2017"));
        const string model = "yolox_nano_416";
        var settings = Settings(root, model);

        var first = await Harness.StartAsync("eval-a", extra: settings);
        using var admin = RegistryKit.Admin(first.BaseUri);
        var uninterrupted = await RunAsync(admin, model, "repeated.json", "val2017");

        var id = await StartAsync(admin, model, "repeated.json", "val2017");
        await RegistryKit.EventuallyAsync(async () => (await GetAsync(admin, id))["images_done"]!.GetValue<int>() >= 40, Bound, "the second evaluation scores 40 images");
        first.KillHard();
        var second = await Harness.StartAsync("eval-b", extra: settings);
        using var again = RegistryKit.Admin(second.BaseUri);
        var resumed = await WaitAsync(again, id);

        var evaluation = await GetAsync(again, id);
        Assert.True(evaluation["runs"]!.GetValue<int>() >= 2, $"runs {evaluation["runs"]}: the job did not resume");
        Assert.Equal(310, evaluation["images_done"]!.GetValue<int>());
        foreach (var part in (string[])["stats", "classes", "confusion", "calibration", "image_count", "detection_count", "sha256"])
        {
            Assert.Equal(uninterrupted[part]!.ToJsonString(), resumed[part]!.ToJsonString());
        }
    }

    [Fact]
    public async Task A_dataset_outside_the_dataset_root_or_missing_and_an_unknown_model_are_refused_with_their_codes()
    {
        var host = await Harness.StartAsync("eval-bad", extra: Settings(Path.Combine(TestPaths.Shared, "datasets"), "yolox_nano_416"));
        using var admin = RegistryKit.Admin(host.BaseUri);

        using (var outside = await admin.PostAsJsonAsync("/v1/admin/evaluations", new { model = "yolox_nano_416", annotations = "../../etc/passwd", images = "coco-ccby/val2017" }))
        {
            await ProblemAssert.IsProblemAsync(outside, HttpStatusCode.BadRequest, ErrorCodes.DatasetNotFound);
        }

        using (var missing = await admin.PostAsJsonAsync("/v1/admin/evaluations", new { model = "yolox_nano_416", annotations = "coco-ccby/none.json", images = "coco-ccby/val2017" }))
        {
            await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.UnprocessableEntity, ErrorCodes.DatasetNotFound);
        }

        using (var unknown = await admin.PostAsJsonAsync("/v1/admin/evaluations", new { model = "nope", annotations = "coco-ccby/annotations/instances_val2017.json", images = "coco-ccby/val2017" }))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.UnknownModel);
        }

        using var notFound = await admin.GetAsync($"/v1/admin/evaluations/{Guid.NewGuid()}");
        await ProblemAssert.IsProblemAsync(notFound, HttpStatusCode.NotFound, ErrorCodes.EvaluationNotFound);
    }

    /// <summary>The dataset <paramref name="times"/> over: every image and annotation again under new ids.</summary>
    private static string Repeated(string json, int times)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var images = root["images"]!.AsArray();
        var annotations = root["annotations"]!.AsArray();
        var (allImages, allAnnotations) = (new JsonArray(), new JsonArray());
        for (var t = 0; t < times; t++)
        {
            foreach (var image in images)
            {
                var copy = image!.DeepClone();
                copy["id"] = (t * 1_000_000_000L) + image["id"]!.GetValue<long>();
                allImages.Add(copy);
            }

            foreach (var annotation in annotations)
            {
                var copy = annotation!.DeepClone();
                copy["id"] = (t * 1_000_000_000L) + annotation["id"]!.GetValue<long>();
                copy["image_id"] = (t * 1_000_000_000L) + annotation["image_id"]!.GetValue<long>();
                allAnnotations.Add(copy);
            }
        }

        root["images"] = allImages;
        root["annotations"] = allAnnotations;
        return root.ToJsonString();
    }
}
