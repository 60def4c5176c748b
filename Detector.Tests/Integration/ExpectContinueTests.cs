using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;

namespace Detector.Tests.Integration;

/// <summary>
/// Admission by deadline before the body: a client sending <c>Expect: 100-continue</c> is told
/// 503 before it sends a byte of a refused request's body, and gets 100 Continue only for a
/// request that is then served. Raw HTTP/1.1 over a socket, so nothing sends the body early.
/// </summary>
public sealed class ExpectContinueTests : IAsyncLifetime
{
    private readonly DetectorApiFactory _factory = new();

    public async Task InitializeAsync()
    {
        _factory.Overrides["Models:Enabled:0"] = "yolox_nano_416";
        await _factory.InitializeAsync();
    }

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task A_request_refused_by_its_deadline_is_answered_before_its_body_and_a_served_one_after_100_continue()
    {
        var (client, tenant) = await _factory.CreateTenantClientAsync("expect");
        using var owned = client;
        using (var admin = _factory.CreateAdminClient())
        {
            // Only the model's admission may refuse here, not the plan's rate limit.
            using var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { requests_per_second = 100_000, burst = 100_000 });
            plan.EnsureSuccessStatusCode();
        }

        var key = client.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        var image = BadImages.Dog;
        using var stop = new CancellationTokenSource();
        // A backlog: eight clients detect in a loop, so the model always has work ahead.
        var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(image));
            }
        })).ToArray();

        var refusedBeforeBody = 0;
        var served = 0;
        try
        {
            await Task.Delay(1500); // throughput measured, queue busy
            for (var attempt = 0; attempt < 40 && refusedBeforeBody < 3; attempt++)
            {
                var (first, final) = await SendExpectingContinueAsync(key, image, deadlineMs: 5);
                if (first.StartsWith("HTTP/1.1 503", StringComparison.Ordinal))
                {
                    refusedBeforeBody++; // refused while the body was still unsent
                }
                else
                {
                    // Told to continue: the request must then be served (or fail its deadline
                    // later), never refused as overloaded after its body was sent.
                    Assert.StartsWith("HTTP/1.1 100", first, StringComparison.Ordinal);
                    Assert.DoesNotContain("\"overloaded\"", final, StringComparison.Ordinal);
                    served++;
                }
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(load);
        }

        Assert.True(refusedBeforeBody >= 1, $"no request was refused before its body ({served} were told to continue)");
    }

    /// <summary>Sends headers only; returns the first status line, and what follows once the body is sent after a 100.</summary>
    private async Task<(string First, string Final)> SendExpectingContinueAsync(string key, byte[] image, int deadlineMs)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_factory.BaseAddress.Host, _factory.BaseAddress.Port);
        var stream = tcp.GetStream();
        stream.ReadTimeout = 10_000;
        var head = $"POST /v1/detect HTTP/1.1\r\nHost: {_factory.BaseAddress.Authority}\r\nX-Api-Key: {key}\r\nX-Deadline-Ms: {deadlineMs}\r\n"
            + $"Content-Type: image/jpeg\r\nContent-Length: {image.Length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var first = await ReadLineAsync(stream);
        if (!first.StartsWith("HTTP/1.1 100", StringComparison.Ordinal))
        {
            return (first, first);
        }

        await stream.WriteAsync(image);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return (first, await reader.ReadToEndAsync());
    }

    private static async Task<string> ReadLineAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r');
    }
}
