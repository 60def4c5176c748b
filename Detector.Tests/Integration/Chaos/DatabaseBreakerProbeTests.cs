using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Integration.Chaos;

/// <summary>
/// The database breaker closes only when the database answers: after its break the first request
/// may be one that needs no database (its key cached, the model list), and it must not close the
/// breaker on a database still down (<see cref="TcpProxy"/> cuts every connection, as a stopped
/// server does).
/// </summary>
[Collection("Jobs")]
public sealed class DatabaseBreakerProbeTests : IAsyncLifetime
{
    private ProxiedDatabaseHost? _host;

    public async Task InitializeAsync() => _host = await ProxiedDatabaseHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task After_its_break_the_breaker_probes_the_database_so_a_request_needing_none_does_not_close_it()
    {
        using var tenant = await _host!.Factory.NewTenantAsync("breaker-probe");
        using (var warm = await tenant.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // the key now cached: the model list needs no database
        }

        var proxy = _host.Proxy;
        proxy.Cut();
        var photo = JobsTestKit.Coco(1).First().Bytes;
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (await CodeAsync(tenant, Detect(photo)) != ErrorCodes.DatabaseUnavailable)
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, "the breaker did not open within 10 s of the database going");
            await Task.Delay(50);
        }

        // Past the break (2 s) the next request probes. The database is still down: refused, and
        // the breaker stays open for the requests after it.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(ErrorCodes.DatabaseUnavailable, await CodeAsync(tenant, new HttpRequestMessage(HttpMethod.Get, "/v1/models")));
        var started = Stopwatch.GetTimestamp();
        Assert.Equal(ErrorCodes.DatabaseUnavailable, await CodeAsync(tenant, Detect(photo)));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1), "refused by the open breaker, not after a connection attempt");

        // The database back: the first request after the break probes it, closes the breaker and is served.
        proxy.Restore();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using (var models = await tenant.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }

        using var detect = await tenant.SendAsync(Detect(photo));
        Assert.Equal(HttpStatusCode.OK, detect.StatusCode);
    }

    private static HttpRequestMessage Detect(byte[] photo)
    {
        var content = new ByteArrayContent(photo);
        content.Headers.ContentType = new("image/jpeg");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = content };
        request.Headers.ExpectContinue = true;
        return request;
    }

    /// <summary>The problem code of the answer (null for a success).</summary>
    private static async Task<string?> CodeAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return problem.RootElement.GetProperty("code").GetString();
        }
    }
}
