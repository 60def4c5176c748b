using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>A browser key may not make jobs, so its Prefer: respond-async never turns a detect into one (ADR 0027).</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class BrowserKeyJobFallbackTests(TwoInstances instances)
{
    private const string AppOrigin = "http://fallback.browser-key-test.example";

    [Fact]
    public async Task A_browser_keys_detect_past_its_deadline_is_refused_where_a_secret_keys_becomes_a_job()
    {
        var (tenantId, _, secret) = await instances.A.CreateTenantAsync("browser-fallback");
        using var admin = instances.A.Admin();
        using (var set = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { AppOrigin } }))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }

        using var created = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "web app", kind = "browser" });
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;

        using var browser = instances.A.Client(key);
        browser.DefaultRequestHeaders.Add("Origin", AppOrigin);
        using var refused = await browser.SendAsync(LateDetect());
        Assert.True(refused.StatusCode is HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
        Assert.False(refused.Headers.Contains("Preference-Applied"));

        // The same request with the tenant's secret key is what the fallback is for.
        using var server = instances.A.Client(secret);
        using var deferred = await server.SendAsync(LateDetect());
        Assert.Equal(HttpStatusCode.Accepted, deferred.StatusCode);
    }

    private static HttpRequestMessage LateDetect()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = new ByteArrayContent(BadImages.Dog) };
        request.Content.Headers.ContentType = new("image/jpeg");
        request.Headers.Add("X-Deadline-Ms", "1");
        request.Headers.Add("Prefer", "respond-async");
        return request;
    }
}
