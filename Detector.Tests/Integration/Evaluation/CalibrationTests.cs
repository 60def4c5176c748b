using System.Net;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Detector.Tests.Integration.Models;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Evaluation.EvaluationKit;

namespace Detector.Tests.Integration.Evaluation;

/// <summary>
/// Calibrated scores end to end: `calibrate --register` (a real process) fits NanoDet-m's
/// temperatures on train2017 and keeps them with its version; an evaluation on val2017 then
/// reports the calibrated scores' ECE beside the raw one, and a detect with calibrated=true adds
/// calibrated_score to each detection while the default answer stays as it was.
/// </summary>
[Collection("Jobs")]
public sealed class CalibrationTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private const string Model = "nanodet_m_416";

    [Fact]
    public async Task A_calibration_fitted_on_train2017_at_least_halves_nanodets_ece_on_val2017_keeps_its_map_and_is_served_on_request()
    {
        var host = await Harness.StartAsync("calibration", extra: Settings(Path.Combine(TestPaths.Shared, "datasets"), Model));
        var (code, text) = await CalibrateAsync(Harness.Settings("calibrate"));
        Assert.True(code == 0, text);
        Assert.Contains($"registered with {Model}@", text, StringComparison.Ordinal);

        using var admin = RegistryKit.Admin(host.BaseUri);
        using var client = await CrashHarness.TenantClientAsync(host.BaseUri);
        await RegistryKit.EventuallyAsync(async () => (await DogAsync(client, calibrated: true)).Contains("calibrated_score", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the instance reads the calibration");
        var report = await RunAsync(admin, Model, "coco-ccby/annotations/instances_val2017.json", "coco-ccby/val2017");
        var raw = report["calibration"]!["expected_calibration_error"]!.GetValue<double>();
        var calibrated = report["calibrated_scores"]!["expected_calibration_error"]!.GetValue<double>();
        Output.WriteLine($"val2017 ECE {raw:F4} -> {calibrated:F4}; mAP {report["stats"]!["map_all"]}");
        Assert.True(calibrated <= raw / 2, $"ECE {raw:F4} -> {calibrated:F4}");
        Assert.Contains("mAP 0.2811 -> 0.2811", text, StringComparison.Ordinal); // the check set's mAP, raw and calibrated

        // The default answer is unchanged; asked for, each detection carries its calibrated score too.
        Assert.DoesNotContain("calibrated_score", await DogAsync(client, calibrated: false), StringComparison.Ordinal);
        var detections = JsonDocument.Parse(await DogAsync(client, calibrated: true)).RootElement.GetProperty("detections").EnumerateArray().ToList();
        Assert.NotEmpty(detections);
        Assert.All(detections, d => Assert.True(d.GetProperty("calibrated_score").GetSingle() is > 0 and < 1));
        Assert.Contains(detections, d => Math.Abs(d.GetProperty("calibrated_score").GetSingle() - d.GetProperty("score").GetSingle()) > 0.01);
    }

    private static async Task<string> DogAsync(HttpClient client, bool calibrated)
    {
        // A distinct photo each time: a repeat would come from the result cache.
        var photo = DistinctPhotos.Make([BadImages.Dog], 1 + Random.Shared.Next(1000))[^1];
        using var response = await client.PostAsync($"/v1/detect?model={Model}&calibrated={(calibrated ? "true" : "false")}", DetectorApiFactory.ImageForm(photo));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return body;
    }

    private async Task<(int Code, string Output)> CalibrateAsync(IReadOnlyDictionary<string, string> environment)
    {
        var annotations = Path.Combine(TestPaths.Coco, "annotations");
        var (code, text) = await WebCommand.RunAsync(
            ["calibrate", "--model", Model, "--annotations", Path.Combine(annotations, "instances_train2017.json"), "--images", Path.Combine(TestPaths.Coco, "train2017"),
                "--check-annotations", Path.Combine(annotations, "instances_val2017.json"), "--check-images", Path.Combine(TestPaths.Coco, "val2017"), "--register"],
            environment,
            TimeSpan.FromMinutes(3));
        Output.WriteLine(text);
        return (code, text);
    }
}
