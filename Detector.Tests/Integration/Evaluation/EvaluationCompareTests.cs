using System.Net;
using System.Text.Json.Nodes;
using Detector.Modules.Common;
using Detector.Tests.Integration.Models;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Evaluation.EvaluationKit;

namespace Detector.Tests.Integration.Evaluation;

/// <summary>
/// Two evaluations of the same dataset compared by bootstrap over images: the difference of two
/// models comes with its interval and the same numbers every time; an evaluation against itself
/// differs by nothing; evaluations of different datasets are refused.
/// </summary>
[Collection("Jobs")]
public sealed class EvaluationCompareTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private const string Val = "coco-ccby/annotations/instances_val2017.json";

    [Fact]
    public async Task Two_models_compare_per_class_with_bootstrap_intervals_the_same_way_every_time_and_other_datasets_are_refused()
    {
        var settings = Settings(Path.Combine(TestPaths.Shared, "datasets"), "yolox_nano_416");
        settings["Models__Enabled__1"] = "nanodet_m_416";
        var host = await Harness.StartAsync("compare", extra: settings);
        using var admin = RegistryKit.Admin(host.BaseUri);
        var yolox = await StartAsync(admin, "yolox_nano_416", Val, "coco-ccby/val2017");
        var nanodet = await StartAsync(admin, "nanodet_m_416", Val, "coco-ccby/val2017");
        var train = await StartAsync(admin, "yolox_nano_416", "coco-ccby/annotations/instances_train2017.json", "coco-ccby/train2017");
        foreach (var id in (Guid[])[yolox, nanodet, train])
        {
            await WaitAsync(admin, id);
        }

        var comparison = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/evaluations/{yolox}/compare/{nanodet}"))!;
        Output.WriteLine(comparison["bootstrap"]!["map"]!.ToJsonString());
        var map = comparison["bootstrap"]!["map"]!;
        Assert.Equal(31, comparison["bootstrap"]!["images"]!.GetValue<int>());
        Assert.Equal(200, comparison["bootstrap"]!["samples"]!.GetValue<int>());
        Assert.InRange(map["a"]!.GetValue<double>(), 0.313, 0.323); // MODELS.md: 0.318
        Assert.InRange(map["b"]!.GetValue<double>(), 0.275, 0.285); // 0.280
        Assert.Equal(map["b"]!.GetValue<double>() - map["a"]!.GetValue<double>(), map["delta"]!.GetValue<double>(), 9);
        var ci = map["ci95"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.True(ci[0] <= map["delta"]!.GetValue<double>() && map["delta"]!.GetValue<double>() <= ci[1], $"delta outside its interval {ci[0]}..{ci[1]}");
        Assert.InRange(map["share_not_better"]!.GetValue<double>(), 0.5, 1.0); // NanoDet-m is the weaker model here
        Assert.True(comparison["bootstrap"]!["classes"]!.AsArray().Count >= 20);
        Assert.Equal(comparison.ToJsonString(), JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/evaluations/{yolox}/compare/{nanodet}"))!.ToJsonString());

        var itself = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/evaluations/{yolox}/compare/{yolox}?samples=50"))!["bootstrap"]!["map"]!;
        Assert.Equal((0.0, 0.0, 0.0, 1.0), (itself["delta"]!.GetValue<double>(), itself["ci95"]![0]!.GetValue<double>(), itself["ci95"]![1]!.GetValue<double>(), itself["share_not_better"]!.GetValue<double>()));

        using var other = await admin.GetAsync($"/v1/admin/evaluations/{yolox}/compare/{train}");
        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Conflict, ErrorCodes.EvaluationsNotComparable);
        using var tooMany = await admin.GetAsync($"/v1/admin/evaluations/{yolox}/compare/{nanodet}?samples=100000");
        await ProblemAssert.IsProblemAsync(tooMany, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }
}
