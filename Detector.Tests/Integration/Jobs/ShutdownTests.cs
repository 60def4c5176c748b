using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>SIGTERM under load, as an orchestrator stops an instance: it drains instead of dropping requests.</summary>
[Collection("Jobs")]
public sealed class ShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const double DrainSeconds = 3;
    private const double TimeoutSeconds = 20;
    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Sigterm_under_load_turns_readiness_off_keeps_serving_through_the_drain_and_exits_cleanly_without_failing_a_request()
    {
        try
        {
            var service = await _harness.StartAsync("drain", extra: new Dictionary<string, string>
            {
                ["Shutdown__DrainDelaySeconds"] = DrainSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Shutdown__TimeoutSeconds"] = TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            using var client = await CrashHarness.TenantClientAsync(service.BaseUri);
            var photo = Coco(1).First().Bytes;
            var outcomes = new ConcurrentQueue<(double SentAt, string Outcome)>();
            var clock = Stopwatch.StartNew();
            // The clients stand for a load balancer: they send until 1 s (its deregistration lag,
            // shorter than the drain) after readiness turned off, then only finish what is in flight.
            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var sentAt = clock.Elapsed.TotalSeconds;
                    outcomes.Enqueue((sentAt, await SendAsync(client, photo)));
                }
            })).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(2));
            var sigtermAt = clock.Elapsed.TotalSeconds;
            service.Terminate();

            // Readiness turns off at once, answered by a process that still serves.
            using var probe = new HttpClient { BaseAddress = service.BaseUri, Timeout = TimeSpan.FromSeconds(2) };
            double? notReadyAfter = null;
            while (notReadyAfter is null && clock.Elapsed.TotalSeconds - sigtermAt < 2)
            {
                using var ready = await probe.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    notReadyAfter = clock.Elapsed.TotalSeconds - sigtermAt;
                }
            }

            stop.CancelAfter(TimeSpan.FromSeconds(1));

            var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(DrainSeconds + TimeoutSeconds + 10));
            var exitedAfter = clock.Elapsed.TotalSeconds - sigtermAt;
            await Task.WhenAll(load);

            var all = outcomes.ToList();
            var byOutcome = all.GroupBy(o => o.Outcome).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine($"not ready {notReadyAfter:F2} s after SIGTERM; exited {exitedAfter:F1} s after, code {exitCode}; outcomes: {string.Join(", ", byOutcome.Select(kv => $"{kv.Key}={kv.Value}"))}");
            Assert.NotNull(notReadyAfter);
            Assert.True(notReadyAfter < 1, $"readiness turned off {notReadyAfter:F2} s after SIGTERM");
            Assert.Equal(0, exitCode);
            Assert.InRange(exitedAfter, DrainSeconds, DrainSeconds + TimeoutSeconds);
            Assert.True(all.Any(o => o.Outcome == "200" && o.SentAt > sigtermAt + 0.5), "requests sent during the drain were served");
            // Every request got a success or a clean refusal (rate limit, full queue): none was cut or refused a connection.
            Assert.All(byOutcome.Keys, k => Assert.Contains(k, new[] { "200", "429", "503" }));
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }

    /// <summary>"200", another status, "refused" (no connection: the listener is closed), or "broken" (a request cut after it was sent).</summary>
    private static async Task<string> SendAsync(HttpClient client, byte[] photo)
    {
        try
        {
            using var response = await client.PostAsync("/v1/detect", Integration.DetectorApiFactory.ImageForm(photo));
            await response.Content.ReadAsByteArrayAsync();
            return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            await Task.Delay(20);
            return "refused";
        }
        catch (HttpRequestException ex)
        {
            return "broken: " + ex.Message;
        }
    }
}
