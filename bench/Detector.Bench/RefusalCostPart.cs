using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Detector.Bench;

/// <summary>
/// Part 12: what a refusal costs the service in CPU, against what a detection costs. A service
/// with a queue of one place is kept full by one upload that trickles its body (its place is
/// reserved before the body, so it holds it); meanwhile clients that resend at once after every
/// 503 ask for detections that are all refused before their body is read. Service CPU-seconds
/// (from /proc) during that window, less the same service's idle CPU over an equal window, per
/// refusal, against the CPU-seconds per image of one client at a time on the same service.
/// </summary>
internal static class RefusalCostPart
{
    // Each client asks about four times a second (the refusal hold is 250 ms). With 32 clients the
    // refusals' CPU was smaller than the run-to-run variation of the idle service's, and the
    // result moved between 0.5 % and 2.4 % on the same commit; 128 make the refusals dominate.
    private const int Clients = 128;

    public static IReadOnlyDictionary<string, string> ServiceEnv => new Dictionary<string, string>
    {
        ["Inference__QueueCapacity"] = "1",
    };

    public static async Task<JsonObject> RunAsync(BenchContext ctx, ServiceProcess svc, HttpLoad load, string apiKey, IReadOnlyList<byte[]> images)
    {
        var window = ctx.D(10, 6);

        // What a detection costs: one client at a time, which the one-place queue always admits.
        var detect = await load.ClosedAsync(images, 1, window);
        var detections = detect.Samples.Count(s => s.Status == 200);
        var cpuPerDetection = detect.CpuPercent / 100 * detect.WindowS / Math.Max(1, detections);

        // The queue's one place held by an upload that trickles its body.
        using var holder = await HoldPlaceAsync(svc.BaseUrl, apiKey);

        // The refusal path warmed (JIT tiering), then idle / refusing / idle, so background work
        // the service happens to do (tiered compilation, timers) is subtracted from both sides.
        await load.ClosedAsync(images, Clients, ctx.D(3, 2), rude: true);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idleBefore = await IdleCpuAsync(svc, window);
        var refused = await load.ClosedAsync(images, Clients, window, rude: true);
        var idle = (idleBefore + await IdleCpuAsync(svc, window)) / 2;
        var refusals = refused.Samples.Count(s => s.Status == 503);
        var accepted = refused.Samples.Count(s => s.Status == 200);
        var cpuRefusing = refused.CpuPercent / 100 * refused.WindowS;
        var cpuPerRefusal = Math.Max(0, cpuRefusing - (idle * refused.WindowS / window.TotalSeconds)) / Math.Max(1, refusals);
        var ratio = cpuPerRefusal / cpuPerDetection;
        Log.Info($"part 12 refusal cost: {refusals} refusals ({accepted} accepted) in {refused.WindowS:F1} s, {cpuPerRefusal * 1e6:F0} µs CPU each vs {cpuPerDetection * 1e3:F2} ms per detection = {ratio * 100:F2} % (target <= 2 %); idle {idle:F2} CPU-s per {window.TotalSeconds:F0} s");
        return new JsonObject
        {
            ["detections"] = detections,
            ["cpu_s_per_detection"] = Stats.N(cpuPerDetection, 6),
            ["refusals"] = refusals,
            ["accepted_while_full"] = accepted,
            ["cpu_s_refusing_window"] = Stats.N(cpuRefusing, 3),
            ["cpu_s_idle_window"] = Stats.N(idle, 3),
            ["cpu_s_per_refusal"] = Stats.N(cpuPerRefusal, 8),
            ["refusal_over_detection"] = Stats.N(ratio, 5),
            ["target"] = 0.02,
            ["refusal_p50_ms"] = Stats.N(refused.P(50), 2),
        };
    }

    private static async Task<double> IdleCpuAsync(ServiceProcess svc, TimeSpan window)
    {
        var before = svc.Proc.CpuSeconds();
        await Task.Delay(window);
        return svc.Proc.CpuSeconds() - before;
    }

    /// <summary>Starts an upload that declares 3 MB and sends 2 KB a second, so it keeps its admitted place.</summary>
    private static async Task<IDisposable> HoldPlaceAsync(string baseUrl, string apiKey)
    {
        var uri = new Uri(baseUrl);
        var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();
        var head = $"POST /v1/detect HTTP/1.1\r\nHost: {uri.Authority}\r\nX-Api-Key: {apiKey}\r\nContent-Type: image/jpeg\r\nContent-Length: 3000000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 });
        var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            var chunk = new byte[512];
            var clock = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                try
                {
                    await stream.WriteAsync(chunk, stop.Token);
                    await Task.Delay(250, stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                    return;
                }
            }
        });
        await Task.Delay(500); // the place is reserved when the headers are in
        return new Holder(client, stop, trickle);
    }

    private sealed class Holder(TcpClient client, CancellationTokenSource stop, Task trickle) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            trickle.Wait(TimeSpan.FromSeconds(5));
            client.Dispose();
            stop.Dispose();
        }
    }
}
