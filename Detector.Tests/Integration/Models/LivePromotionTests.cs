using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Models;

/// <summary>
/// Two service processes on one PostgreSQL, as two hosts run them: a version registered and
/// promoted through one instance's admin API is served by both within seconds, while a load runs
/// on both, with no failed request and readiness never false.
/// </summary>
[Collection("Jobs")]
public sealed class LivePromotionTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private static readonly TimeSpan FollowBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(150); // two clients: under 14 requests/s, the default plan allows 20

    [Fact]
    public async Task A_version_promoted_through_one_instance_serves_on_both_within_seconds_with_no_failed_request_and_readiness_never_false()
    {
        CopySeedArtifact(Artifacts, "yolox_v2.onnx");
        var a = await Harness.StartAsync("host-a", extra: Settings(Artifacts));
        var b = await Harness.StartAsync("host-b", extra: Settings(Artifacts));
        using var onA = await CrashHarness.TenantClientAsync(a.BaseUri);
        using var onB = new HttpClient { BaseAddress = b.BaseUri, Timeout = onA.Timeout };
        onB.DefaultRequestHeaders.Add("X-Api-Key", onA.DefaultRequestHeaders.GetValues("X-Api-Key"));
        using var admin = Admin(a.BaseUri);
        var seed = JsonDocument.Parse(await onA.GetStringAsync("/v1/models")).RootElement.GetProperty("models")[0].GetProperty("version").GetString()!;

        // The load: one client per instance, each photo distinct, paced within the plan's rate
        // (the tenant's limit holds across instances); readiness polled on both.
        using var stop = new CancellationTokenSource();
        var served = new ConcurrentQueue<(string Instance, TimeSpan At, HttpStatusCode Status, string? Version, string Body)>();
        var notReady = new ConcurrentQueue<string>();
        var photos = DistinctPhotos.Make([.. JobsTestKit.CocoFiles.Take(4).Select(File.ReadAllBytes)], 600);
        var clock = Stopwatch.StartNew();
        var next = -1;
        async Task LoadAsync(string instance, HttpClient client)
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, version, body) = await RegistryKit.DetectAsync(client, photos[Interlocked.Increment(ref next) % photos.Count]);
                served.Enqueue((instance, clock.Elapsed, status, version, body));
                await Task.Delay(Pace);
            }
        }

        async Task ProbeAsync(string instance, Uri baseUri)
        {
            using var probe = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
            while (!stop.IsCancellationRequested)
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode != HttpStatusCode.OK)
                {
                    notReady.Enqueue($"{instance} at {clock.Elapsed.TotalSeconds:F1} s: {(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}");
                }

                await Task.Delay(50);
            }
        }

        var running = new[] { LoadAsync("a", onA), LoadAsync("b", onB), ProbeAsync("a", a.BaseUri), ProbeAsync("b", b.BaseUri) };
        await Task.Delay(TimeSpan.FromSeconds(3));

        // Registered under load: both instances load and warm v2 in the background meanwhile.
        var registeredAt = clock.Elapsed;
        using (var registered = await RegisterAsync(admin, "store:yolox_v2.onnx", "v2"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(3));

        var promotedAt = clock.Elapsed;
        using (var moved = await MoveAsync(admin, "production", "v2", "live promotion test"))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        // Both instances answer with v2 within the bound, then the load goes on a while on v2.
        await EventuallyAsync(() => Task.FromResult(served.Any(s => s.Instance == "a" && s.Version == "v2") && served.Any(s => s.Instance == "b" && s.Version == "v2")), FollowBound, "both instances serve v2");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(running);

        foreach (var instance in new[] { "a", "b" })
        {
            var first = served.First(s => s.Instance == instance && s.Version == "v2").At;
            var lastOld = served.Where(s => s.Instance == instance && s.Version == seed).Select(s => s.At).DefaultIfEmpty().Max();
            Output.WriteLine($"host-{instance}: registered at {registeredAt.TotalSeconds:F2} s, promoted at {promotedAt.TotalSeconds:F2} s, first v2 answer at {first.TotalSeconds:F2} s, last {seed} answer at {lastOld.TotalSeconds:F2} s, {served.Count(s => s.Instance == instance)} requests");
            Assert.True(first - promotedAt < FollowBound, $"host-{instance} served v2 {(first - promotedAt).TotalSeconds:F1} s after the move");
            // Once an instance serves v2 it never goes back.
            Assert.DoesNotContain(served, s => s.Instance == instance && s.At > first && s.Version == seed);
        }

        var failed = served.Where(s => s.Status != HttpStatusCode.OK).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {served.Count} requests failed: " + string.Join("; ", failed.Take(3).Select(f => $"{f.Instance} {(int)f.Status} {f.Body}")));
        Assert.True(notReady.IsEmpty, "readiness went false: " + string.Join("; ", notReady.Take(3)));

        var history = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/models/{Model}/history")).RootElement.GetProperty("moves");
        var last = history[history.GetArrayLength() - 1];
        Assert.Equal(("production", seed, "v2", "admin", "live promotion test"), (last.GetProperty("alias").GetString(), last.GetProperty("from_version").GetString(), last.GetProperty("to_version").GetString(), last.GetProperty("actor").GetString(), last.GetProperty("reason").GetString()));
        Assert.Equal(["production"], (await VersionAsync(onB, "v2"))!.Value.GetProperty("aliases").EnumerateArray().Select(x => x.GetString()));
    }
}
