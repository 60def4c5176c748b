using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Models;

/// <summary>
/// A deliberately bad canary is rolled back by its guardrail: NanoDet registered as a version of
/// YOLOX-nano's name, at 50 % of subjects, held to a strict agreement with production. Its share
/// goes to 0 within the window, recorded in the alias history and the audit log, and from then on
/// every subject gets production again. The test prints the timeline.
/// </summary>
[Collection("Jobs")]
public sealed class CanaryRollbackTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private static readonly TimeSpan RollbackBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_canary_that_disagrees_with_production_is_rolled_back_within_the_window_and_every_subject_returns_to_production()
    {
        var settings = Settings(Artifacts);
        settings["Rollouts__ComparisonSampleRate"] = "1";
        settings["Rollouts__Guardrails__MinAgreement"] = "0.9";
        settings["Rollouts__Guardrails__MinComparisons"] = "10";
        settings["Rollouts__Guardrails__EvaluateEveryMs"] = "200";
        // Agreement is under test: the other guardrails (NanoDet finds more boxes; a loaded
        // machine's p95 varies) must not fire first.
        settings["Rollouts__Guardrails__MaxP95LatencyRatio"] = "100";
        settings["Rollouts__Guardrails__MaxDetectionsDeviation"] = "100";
        var service = await Harness.StartAsync("host-a", extra: settings);
        using var admin = Admin(service.BaseUri);
        using var tenant = await CrashHarness.TenantClientAsync(service.BaseUri);
        var tenantId = JsonDocument.Parse(await admin.GetStringAsync("/v1/admin/tenants")).RootElement.GetProperty("tenants")[0].GetProperty("id").GetGuid();
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { requests_per_second = 1000, burst = 1000, daily_images = 1_000_000, monthly_images = 1_000_000 }))
        {
            Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        }

        var nanodet = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Detector.Web", "model-manifests", "nanodet_m_416.json"));
        using (var registered = await admin.PostAsJsonAsync($"/v1/admin/models/{Model}/versions", new { artifact = "shared:nanodet_m_416.onnx", version = "nanodet", manifest = JsonDocument.Parse(nanodet).RootElement }))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        await EventuallyAsync(async () => (await tenant.GetStringAsync("/metrics")).Contains("detector_model_versions_loaded 2", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the canary version loaded");
        var clock = Stopwatch.StartNew();
        using (var canary = await admin.PutAsJsonAsync($"/v1/admin/models/{Model}/aliases/canary", new { version = "nanodet", share = 0.5, reason = "bad canary on purpose" }))
        {
            Assert.Equal(HttpStatusCode.OK, canary.StatusCode);
        }

        var movedAt = clock.Elapsed;

        // Two paced clients (idle gaps for the off-path comparisons), many subjects, COCO photos.
        var photos = DistinctPhotos.Make([.. JobsTestKit.CocoFiles.Take(12).Select(File.ReadAllBytes)], 600);
        var answers = new ConcurrentQueue<(TimeSpan At, int Subject, string Variant)>();
        using var stop = new CancellationTokenSource();
        var next = -1;
        async Task ClientAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(photos[i % photos.Count]) };
                request.Headers.Add("X-Subject-Id", $"user-{i % 97}");
                using var response = await tenant.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
                answers.Enqueue((clock.Elapsed, i % 97, JsonDocument.Parse(body).RootElement.GetProperty("model").GetProperty("variant").GetString()!));
                await Task.Delay(60);
            }
        }

        var clients = new[] { ClientAsync(), ClientAsync() };
        TimeSpan? rolledBackAt = null;
        JsonElement rollout = default;
        await EventuallyAsync(
            async () =>
            {
                rollout = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/rollouts/{Model}")).RootElement.Clone();
                if (rollout.GetProperty("last_breach").ValueKind == JsonValueKind.Object)
                {
                    rolledBackAt ??= clock.Elapsed;
                }

                return rolledBackAt is not null;
            },
            RollbackBound,
            "the canary rolled back");

        // Subjects already routed finish; then every answer is production's.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var afterFrom = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        var breach = rollout.GetProperty("last_breach");
        var firstCanary = answers.Where(a => a.Variant == "canary").Select(a => a.At).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var lastCanary = answers.Where(a => a.Variant == "canary").Select(a => a.At).DefaultIfEmpty().Max();
        var compared = rollout.GetProperty("comparisons").EnumerateArray().FirstOrDefault(c => c.GetProperty("candidate").GetString() == "canary");
        Output.WriteLine($"timeline: canary at 50 % at {movedAt.TotalSeconds:F2} s; first canary answer {firstCanary.TotalSeconds:F2} s; breach seen in the rollout view at {rolledBackAt!.Value.TotalSeconds:F2} s ({breach.GetProperty("at")}); last canary answer {lastCanary.TotalSeconds:F2} s; {answers.Count} answers, {answers.Count(a => a.Variant == "canary")} from the canary");
        Output.WriteLine($"breach: {breach.GetProperty("guardrail").GetString()}: {breach.GetProperty("reason").GetString()}");
        Assert.True(firstCanary < rolledBackAt, "the canary served before it was rolled back");
        Assert.Equal("agreement", breach.GetProperty("guardrail").GetString());
        Assert.True(rolledBackAt - movedAt < RollbackBound);
        Assert.DoesNotContain(answers, a => a.At > afterFrom && a.Variant != "production");
        var traffic = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/rollouts/{Model}")).RootElement.GetProperty("traffic");
        Assert.True(!traffic.TryGetProperty("canary", out var share) || share.GetDouble() == 0, traffic.ToString());
        Assert.Equal(1.0, traffic.GetProperty("production").GetDouble());

        var history = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/models/{Model}/history")).RootElement.GetProperty("moves");
        var last = history[history.GetArrayLength() - 1];
        Assert.Equal(("canary", "guardrail", 0.0), (last.GetProperty("alias").GetString(), last.GetProperty("actor").GetString(), last.GetProperty("to_share").GetDouble()));
        Assert.StartsWith("guardrail agreement:", last.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var audited = await admin.GetStringAsync("/v1/admin/audit?action=model.alias.share");
        Assert.Contains("\"actor\":\"guardrail\"", audited, StringComparison.Ordinal);
        Assert.Contains("version=nanodet share=0", audited, StringComparison.Ordinal);
        Assert.Contains("detector_rollout_breaches_total{model=\"yolox_nano_416\",alias=\"canary\",guardrail=\"agreement\"} 1", await tenant.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }
}
