using System.Net;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Detector.Tests.Integration.Models;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Variants;

/// <summary>
/// The INT8 variant end to end: `export --register` as a real process against the registry's
/// database, then a running service loads it like any version, lists it with its precision and
/// measured metrics, and serves it pinned over HTTP with the float model's boxes.
/// </summary>
[Collection("Jobs")]
public sealed class ServedVariantTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private const string Model = VariantExportKit.Model;
    private const string Label = "int8-test";

    [Fact]
    public async Task An_exported_int8_version_is_registered_listed_with_its_precision_and_finds_the_dog_photos_objects_where_the_float_model_does()
    {
        var host = await Harness.StartAsync("variants", extra: new Dictionary<string, string>
        {
            ["Models__Enabled__0"] = Model,
            ["Models__Default"] = Model,
            ["Models__ArtifactCacheDirectory"] = Path.Combine(Artifacts, "cache"),
        });
        var calibration = VariantExportKit.CalibrationFolder(6);
        try
        {
            var (code, text) = await ExportProcessAsync(calibration);
            Assert.True(code == 0, text);
            Assert.Contains($"registered: {Model}@{Label}", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(calibration, recursive: true);
        }

        using var client = await CrashHarness.TenantClientAsync(host.BaseUri);
        await EventuallyAsync(async () => (await DetectAsync(client, BadImages.Dog, $"{Model}@{Label}")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the service loads the registered int8 version");

        var listed = JsonDocument.Parse(await client.GetStringAsync("/v1/models")).RootElement.GetProperty("models").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == Model).GetProperty("versions").EnumerateArray()
            .Single(v => v.GetProperty("version").GetString() == Label);
        Assert.Equal("int8", listed.GetProperty("precision").GetString());

        var float32 = await DetectionsAsync(client, Model);
        var int8 = await DetectionsAsync(client, $"{Model}@{Label}");
        foreach (var label in (string[])["dog", "bicycle", "car"])
        {
            var reference = float32.Where(d => d.Label == label).MaxBy(d => d.Score);
            Assert.True(reference.Label == label, $"the float model finds no {label}");
            var iou = int8.Where(d => d.Label == label).Select(d => Iou(d.Box, reference.Box)).DefaultIfEmpty(0).Max();
            Output.WriteLine($"{label}: float {reference.Score:F3} [{string.Join(", ", reference.Box.Select(v => v.ToString("F0")))}], best int8 IoU {iou:F3}");
            Assert.True(iou >= 0.9, $"{label}: the int8 version's best box has IoU {iou:F3} with the float model's");
        }
    }

    private async Task<(int Code, string Output)> ExportProcessAsync(string calibration)
    {
        var (code, text) = await WebCommand.RunAsync(
            ["export", "--model", Model, "--precision", "int8", "--calibration", calibration, "--out", Path.Combine(Artifacts, "int8.onnx"), "--register", "--version-label", Label],
            Harness.Settings("export"),
            TimeSpan.FromMinutes(3));
        Output.WriteLine(text);
        return (code, text);
    }

    private static async Task<List<(string Label, float Score, float[] Box)>> DetectionsAsync(HttpClient client, string model)
    {
        var (status, _, body) = await DetectAsync(client, BadImages.Dog, model);
        Assert.True(status == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("detections").EnumerateArray()
            .Select(d => (d.GetProperty("label").GetString()!, d.GetProperty("score").GetSingle(), d.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray()))
            .ToList();
    }

    private static double Iou(float[] a, float[] b)
    {
        var w = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        var h = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        var inter = w * h;
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
    }
}
