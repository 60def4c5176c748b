using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;

namespace Detector.Tests.Integration.Chaos;

/// <summary>A CORS preflight is answered from memory: with the database gone and its breaker open, still 204, never 401 or 503 (ADR 0027).</summary>
[Collection("Jobs")]
public sealed class PreflightOutageTests : IAsyncLifetime
{
    private const string Origin = "https://outage-app.example";
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
    public async Task A_preflight_from_an_allowed_origin_gets_its_allow_headers_while_the_database_breaker_is_open()
    {
        using var admin = _host!.Factory.Admin();
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "preflight-outage" });
        created.EnsureSuccessStatusCode();
        var tenantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using (var set = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { Origin } }))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }

        using var anonymous = _host.Factory.CreateClient();
        using (var before = await PreflightAsync(anonymous))
        {
            Assert.Equal(Origin, before.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        _host.Proxy.Cut();
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (true)
        {
            using var refused = await admin.GetAsync($"/v1/admin/tenants/{tenantId}");
            if (refused.StatusCode == HttpStatusCode.ServiceUnavailable && (await refused.Content.ReadAsStringAsync()).Contains(ErrorCodes.DatabaseUnavailable, StringComparison.Ordinal))
            {
                break;
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, "the breaker did not open within 10 s of the database going");
            await Task.Delay(50);
        }

        using var during = await PreflightAsync(anonymous);
        Assert.Equal(HttpStatusCode.NoContent, during.StatusCode);
        Assert.Equal(Origin, during.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("X-Api-Key", during.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.Ordinal);
        _host.Proxy.Restore();
    }

    private static Task<HttpResponseMessage> PreflightAsync(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/detect");
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        return client.SendAsync(request);
    }
}
