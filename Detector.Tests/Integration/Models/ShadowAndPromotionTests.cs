using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Models;

/// <summary>
/// A shadow version gets a copy of production's traffic off the request path, and the rollout
/// view shows how it compares (the same weights as production: full agreement); no answer ever
/// comes from the shadow. A canary is then promoted by an explicit call, or automatically after N clean requests.
/// </summary>
[Collection("Jobs")]
public sealed class ShadowAndPromotionTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_shadow_is_compared_off_the_path_and_never_answers_and_a_canary_is_promoted_by_an_explicit_call()
    {
        CopySeedArtifact(Artifacts, "v2.onnx");
        var settings = Settings(Artifacts);
        settings["Rollouts__ComparisonSampleRate"] = "1";
        var service = await Harness.StartAsync("host-a", extra: settings);
        using var admin = Admin(service.BaseUri);
        using var tenant = await CrashHarness.TenantClientAsync(service.BaseUri);
        var seed = JsonDocument.Parse(await tenant.GetStringAsync("/v1/models")).RootElement.GetProperty("models")[0].GetProperty("version").GetString()!;
        using (var registered = await RegisterAsync(admin, "store:v2.onnx", "v2"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using (var shadow = await MoveAsync(admin, "shadow", "v2", "shadow test"))
        {
            Assert.Equal(HttpStatusCode.OK, shadow.StatusCode);
        }

        await EventuallyAsync(async () => (await tenant.GetStringAsync("/metrics")).Contains("detector_model_versions_loaded 2", StringComparison.Ordinal), Bound, "v2 loaded");
        var photos = DistinctPhotos.Make([.. JobsTestKit.CocoFiles.Take(6).Select(File.ReadAllBytes)], 60);
        JsonElement compared = default;
        var sent = 0;
        await EventuallyAsync(
            async () =>
            {
                var (status, version, body) = await RegistryKit.DetectAsync(tenant, photos[sent++ % photos.Count]);
                Assert.True(status == HttpStatusCode.OK, body);
                Assert.Equal(seed, version); // the shadow never answers
                await Task.Delay(100); // idle gaps: comparisons run only when nothing interactive is in flight
                var rollout = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/rollouts/{Model}")).RootElement;
                compared = rollout.GetProperty("comparisons").EnumerateArray().FirstOrDefault(c => c.GetProperty("candidate").GetString() == "shadow").Clone();
                return compared.ValueKind == JsonValueKind.Object && compared.GetProperty("images").GetInt32() >= 5;
            },
            Bound,
            "five shadow comparisons in the rollout view");

        Output.WriteLine($"shadow comparison after {sent} requests: {compared}");
        Assert.Equal("v2", compared.GetProperty("version").GetString());
        Assert.Equal(1.0, compared.GetProperty("agreement").GetDouble());
        Assert.Equal(1.0, compared.GetProperty("precision").GetDouble());
        Assert.Equal(1.0, compared.GetProperty("recall").GetDouble());
        Assert.Equal(0.0, compared.GetProperty("mean_score_shift").GetDouble(), 3);
        Assert.Contains("detector_rollout_comparisons_total{model=\"yolox_nano_416\",candidate=\"shadow\",outcome=\"compared\"}", await tenant.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // A canary, then its explicit promotion: production is v2, the canary alias is gone.
        using (var canary = await admin.PutAsJsonAsync($"/v1/admin/models/{Model}/aliases/canary", new { version = "v2", share = 0.3, reason = "canary" }))
        {
            Assert.Equal(HttpStatusCode.OK, canary.StatusCode);
        }

        using (var promoted = await admin.PostAsJsonAsync($"/v1/admin/rollouts/{Model}/promote", new { alias = "canary", reason = "looks good" }))
        {
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        }

        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(tenant, photos[sent++ % photos.Count])).Version == "v2", Bound, "production serves v2");
        var aliases = JsonDocument.Parse(await tenant.GetStringAsync("/v1/models")).RootElement.GetProperty("models")[0].GetProperty("aliases");
        Assert.Equal("v2", aliases.GetProperty("production").GetString());
        Assert.False(aliases.TryGetProperty("canary", out _));
        using (var again = await admin.PostAsJsonAsync($"/v1/admin/rollouts/{Model}/promote", new { alias = "canary" }))
        {
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound, Modules.Common.ErrorCodes.NotFound);
        }
    }

    [Fact]
    public async Task A_canary_that_serves_its_requests_without_a_breach_is_promoted_automatically_when_configured()
    {
        CopySeedArtifact(Artifacts, "v2.onnx");
        var settings = Settings(Artifacts);
        settings["Rollouts__Guardrails__AutoPromoteAfter"] = "20";
        settings["Rollouts__Guardrails__MinRequests"] = "20";
        settings["Rollouts__Guardrails__EvaluateEveryMs"] = "200";
        settings["Rollouts__Guardrails__MaxP95LatencyRatio"] = "100"; // two versions of the same weights: only the count decides
        var service = await Harness.StartAsync("host-a", extra: settings);
        using var admin = Admin(service.BaseUri);
        using var tenant = await CrashHarness.TenantClientAsync(service.BaseUri);
        using (var registered = await RegisterAsync(admin, "store:v2.onnx", "v2"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        await EventuallyAsync(async () => (await tenant.GetStringAsync("/metrics")).Contains("detector_model_versions_loaded 2", StringComparison.Ordinal), Bound, "v2 loaded");
        using (var canary = await admin.PutAsJsonAsync($"/v1/admin/models/{Model}/aliases/canary", new { version = "v2", share = 0.5, reason = "auto-promotion test" }))
        {
            Assert.Equal(HttpStatusCode.OK, canary.StatusCode);
        }

        var photos = DistinctPhotos.Make([.. JobsTestKit.CocoFiles.Take(6).Select(File.ReadAllBytes)], 200);
        var sent = 0;
        await EventuallyAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(photos[sent % photos.Count]) };
                request.Headers.Add("X-Subject-Id", $"user-{sent++}");
                using var response = await tenant.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var aliases = JsonDocument.Parse(await tenant.GetStringAsync("/v1/models")).RootElement.GetProperty("models")[0].GetProperty("aliases");
                return aliases.GetProperty("production").GetString() == "v2" && !aliases.TryGetProperty("canary", out _);
            },
            Bound,
            "the canary promoted");

        var moves = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/models/{Model}/history")).RootElement.GetProperty("moves").EnumerateArray().ToList();
        var promotion = moves.Single(m => m.GetProperty("alias").GetString() == "production" && m.GetProperty("to_version").GetString() == "v2");
        Assert.Equal("guardrail", promotion.GetProperty("actor").GetString());
        Assert.EndsWith("canary requests without a breach", promotion.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Output.WriteLine($"promoted after {sent} requests: {promotion}");
    }
}
