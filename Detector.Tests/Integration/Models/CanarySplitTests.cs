using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using SkiaSharp;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Models;

/// <summary>
/// A canary over HTTP against a real service process: 1,000 subjects (X-Subject-Id) each get the
/// canary or production by their hash, 20 % ± 5 % of them the canary; a subject keeps its variant;
/// raising the share to 50 % keeps every subject that had the canary; results record the variant.
/// </summary>
[Collection("Jobs")]
public sealed class CanarySplitTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private const int Subjects = 1000;

    [Fact]
    public async Task A_canary_at_20_percent_gets_20_percent_of_1000_subjects_each_keeps_its_variant_and_50_percent_keeps_them_all()
    {
        CopySeedArtifact(Artifacts, "canary.onnx");
        var settings = Settings(Artifacts);
        // The routing is under test, not the guardrails: on a loaded machine the p95 of two equal
        // versions differs by chance, and a rollback mid-test would move subjects back.
        settings["Rollouts__Guardrails__Enabled"] = "false";
        var service = await Harness.StartAsync("host-a", extra: settings);
        using var admin = Admin(service.BaseUri);
        using var tenant = await CrashHarness.TenantClientAsync(service.BaseUri);
        var tenantId = JsonDocument.Parse(await admin.GetStringAsync("/v1/admin/tenants")).RootElement.GetProperty("tenants")[0].GetProperty("id").GetGuid();
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { requests_per_second = 10_000, burst = 10_000, max_in_flight = 64, daily_images = 1_000_000, monthly_images = 1_000_000 }))
        {
            Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        }

        using (var registered = await RegisterAsync(admin, "store:canary.onnx", "v2"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using (var canary = await admin.PutAsJsonAsync($"/v1/admin/models/{Model}/aliases/canary", new { version = "v2", share = 0.2, reason = "canary at 20 %" }))
        {
            Assert.Equal(HttpStatusCode.OK, canary.StatusCode);
        }

        // v2 takes traffic only once warm: until then every subject gets production.
        var probe = Photos(1, 900_000)[0];
        await EventuallyAsync(async () => (await tenant.GetStringAsync("/metrics")).Contains("detector_model_versions_loaded 2", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "v2 loaded");

        // The move reaches the routing through NOTIFY: measured only once a probe subject gets the canary.
        var probes = Photos(200, 500_000);
        var tries = 0;
        await EventuallyAsync(async () => await VariantAsync(tenant, probes[tries % probes.Count], $"probe-{tries++}") == "canary", TimeSpan.FromSeconds(30), "the canary takes traffic");

        var photos = Photos(3 * Subjects, 0);
        var first = await RoundAsync(tenant, photos, 0);
        var canaryAt20 = first.Where(kv => kv.Value.Variant == "canary").Select(kv => kv.Key).ToHashSet();
        Output.WriteLine($"at 20 %: {canaryAt20.Count} of {Subjects} subjects on the canary");
        Assert.InRange(canaryAt20.Count, 150, 250);
        Assert.All(first.Values, v => Assert.Equal(v.Variant == "canary" ? "v2" : SeedVersion(first), v.Version));

        var again = await RoundAsync(tenant, photos, Subjects);
        Assert.All(first, kv => Assert.Equal(kv.Value.Variant, again[kv.Key].Variant));

        using (var raised = await admin.PutAsJsonAsync($"/v1/admin/models/{Model}/aliases/canary", new { version = "v2", share = 0.5, reason = "canary at 50 %" }))
        {
            Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        }

        // Measured once a subject that had production at 20 % gets the canary.
        var grown = first.Where(kv => kv.Value.Variant == "production").Select(kv => kv.Key).Take(100).ToList();
        await EventuallyAsync(
            async () =>
            {
                var subject = grown[tries % grown.Count];
                return await VariantAsync(tenant, probes[tries++ % probes.Count], $"user-{subject}") == "canary";
            },
            TimeSpan.FromSeconds(30),
            "the share of 50 % takes effect");
        var third = await RoundAsync(tenant, photos, 2 * Subjects);
        var canaryAt50 = third.Where(kv => kv.Value.Variant == "canary").Select(kv => kv.Key).ToHashSet();
        Output.WriteLine($"at 50 %: {canaryAt50.Count} of {Subjects} subjects on the canary");
        Assert.InRange(canaryAt50.Count, 450, 550);
        Assert.Subset(canaryAt50, canaryAt20);

        // The stored result records the variant; a pinned request records its pin.
        var stored = JsonDocument.Parse(await tenant.GetStringAsync($"/v1/results/{third[canaryAt20.First()].Id}")).RootElement.GetProperty("model");
        Assert.Equal(("v2", "canary"), (stored.GetProperty("version").GetString(), stored.GetProperty("variant").GetString()));
        using var pinned = await tenant.PostAsync($"/v1/detect?model={Model}@v2", DetectorApiFactory.ImageForm(probe));
        Assert.Equal("pinned", JsonDocument.Parse(await pinned.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetProperty("variant").GetString());
        Assert.Contains("detector_variant_requests_total{model=\"yolox_nano_416\",variant=\"canary\",version=\"v2\",outcome=\"ok\"}", await tenant.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    private static async Task<string> VariantAsync(HttpClient client, byte[] photo, string subject)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(photo) };
        request.Headers.Add("X-Subject-Id", subject);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("model").GetProperty("variant").GetString()!;
    }

    private static string SeedVersion(Dictionary<int, (string Variant, string Version, Guid Id)> round) =>
        round.Values.First(v => v.Variant == "production").Version;

    /// <summary>One request per subject, each with its own photo, four at a time; every one must succeed.</summary>
    private static async Task<Dictionary<int, (string Variant, string Version, Guid Id)>> RoundAsync(HttpClient client, List<byte[]> photos, int offset)
    {
        var answers = new ConcurrentDictionary<int, (string Variant, string Version, Guid Id)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Subjects), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (subject, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(photos[offset + subject]) };
            request.Headers.Add("X-Subject-Id", $"user-{subject}");
            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"subject {subject}: {(int)response.StatusCode} {body}");
            var root = JsonDocument.Parse(body).RootElement;
            var model = root.GetProperty("model");
            answers[subject] = (model.GetProperty("variant").GetString()!, model.GetProperty("version").GetString()!, root.GetProperty("id").GetGuid());
        });
        return new Dictionary<int, (string Variant, string Version, Guid Id)>(answers);
    }

    /// <summary>Small photos, each different in its pixels (so none is a cache hit or a stored duplicate).</summary>
    private static List<byte[]> Photos(int count, int seed)
    {
        var photos = new List<byte[]>(count);
        using var bitmap = new SKBitmap(96, 64);
        for (var i = 0; i < count; i++)
        {
            var n = seed + i;
            bitmap.Erase(new SKColor((byte)(n * 37), (byte)(n * 91), (byte)(n * 13)));
            for (var bit = 0; bit < 24; bit++)
            {
                bitmap.SetPixel(bit * 4, 0, ((n >> bit) & 1) == 1 ? SKColors.White : SKColors.Black);
            }

            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            photos.Add(data.ToArray());
        }

        return photos;
    }
}
