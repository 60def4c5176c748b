using System.Diagnostics;
using Detector.Modules.Evaluation.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration;

/// <summary>
/// The served pipeline reproduces MODELS.md's reference accuracy on ../shared/datasets/coco-ccby
/// (val2017, score 0.01, IoU 0.65, 100 detections) within 0.005 mAP@[.5:.95].
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AccuracyTests(DetectorApiFactory factory)
{
    [Theory]
    [InlineData("yolox_nano_416", 0.318, 0.474)]
    [InlineData("picodet_s_320", 0.333, 0.465)]
    [InlineData("picodet_s_416", 0.358, 0.496)]
    [InlineData("nanodet_m_416", 0.280, 0.455)]
    public async Task Pipeline_reproduces_the_reference_mAP(string model, double map, double map50)
    {
        var evaluator = factory.Services.GetRequiredService<IDatasetEvaluator>();
        var report = await evaluator.EvaluateAsync(new EvaluationSettings
        {
            Model = model,
            AnnotationsPath = Path.Combine(TestPaths.Coco, "annotations", "instances_val2017.json"),
            ImagesDirectory = Path.Combine(TestPaths.Coco, "val2017"),
        }, CancellationToken.None);

        Assert.Equal(31, report.ImageCount);
        Assert.InRange(report.Stats.MapAll, map - 0.005, map + 0.005);
        Assert.InRange(report.Stats.Map50, map50 - 0.01, map50 + 0.01);
    }

    [Fact]
    public async Task Eval_command_prints_the_coco_summary_and_writes_results_json()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Detector.Web.dll");
        var output = Path.Combine(Path.GetTempPath(), $"eval-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            dll, "eval", "--model", "picodet_s_320",
            "--annotations", Path.Combine(TestPaths.Coco, "annotations", "instances_val2017.json"),
            "--images", Path.Combine(TestPaths.Coco, "val2017"), "--out", output,
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Models__Directory"] = TestPaths.Models;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "eval finished");
        Assert.True(process.ExitCode == 0, await stderr);
        var text = await stdout;
        Assert.Contains("mAP@[.5:.95] 0.33", text, StringComparison.Ordinal);
        Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", text, StringComparison.Ordinal);
        Assert.True(new FileInfo(output).Length > 1000, "COCO results json written");
        File.Delete(output);
    }
}
