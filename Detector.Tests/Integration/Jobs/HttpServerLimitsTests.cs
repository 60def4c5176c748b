using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Jobs;

/// <summary>Kestrel's limits in the real process: slow senders lose their connection instead of holding it.</summary>
[Collection("Jobs")]
public sealed class HttpServerLimitsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_client_trickling_headers_or_a_body_is_disconnected_and_others_are_served()
    {
        var service = await _harness.StartAsync("limits", extra: new Dictionary<string, string>
        {
            ["HttpServer__RequestHeadersTimeoutSeconds"] = "2",
            ["HttpServer__MinRequestBodyGraceSeconds"] = "2",
        });
        using var client = await CrashHarness.TenantClientAsync(service.BaseUri);
        var key = client.DefaultRequestHeaders.GetValues("X-Api-Key").Single();

        // Headers that never end.
        var headers = await TimeToDisconnectAsync(service.BaseUri, Encoding.ASCII.GetBytes("POST /v1/detect HTTP/1.1\r\nHost: localhost\r\nX-Slow: "), trickle: null);
        // A body promised at 1 MB, sent at 10 bytes a second.
        var body = await TimeToDisconnectAsync(service.BaseUri, Encoding.ASCII.GetBytes(
            $"POST /v1/detect HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: {key}\r\nContent-Type: image/jpeg\r\nContent-Length: 1000000\r\n\r\n"), trickle: 10);
        output.WriteLine($"slow headers cut after {headers.TotalSeconds:F1} s, slow body after {body.TotalSeconds:F1} s");

        Assert.InRange(headers.TotalSeconds, 1.5, 8);
        Assert.InRange(body.TotalSeconds, 1.5, 10);
        using var ok = await client.PostAsync("/v1/detect", Integration.DetectorApiFactory.ImageForm(BadImages.Dog));
        Assert.True(ok.IsSuccessStatusCode, $"a normal request after the slow ones: {(int)ok.StatusCode}");
    }

    /// <summary>Sends <paramref name="start"/>, then (when <paramref name="trickle"/> is set) that many bytes a second; returns when the server closes the connection.</summary>
    private static async Task<TimeSpan> TimeToDisconnectAsync(Uri baseUri, byte[] start, int? trickle)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(start);
        var clock = Stopwatch.StartNew();
        var read = stream.ReadAsync(new byte[4096]).AsTask();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await Task.WhenAny(read, Task.Delay(1000)) == read)
            {
                break;
            }

            if (trickle is { } bytes)
            {
                try
                {
                    await stream.WriteAsync(new byte[bytes]);
                }
                catch (IOException)
                {
                    break;
                }
            }
        }

        try
        {
            await read.WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
        }

        return clock.Elapsed;
    }
}
