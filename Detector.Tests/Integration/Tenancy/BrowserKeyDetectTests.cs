using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>What a browser key's detect may not do that a secret key's may (ADR 0027): become a job, or replay another key's answer.</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class BrowserKeyDetectTests(TwoInstances instances)
{
    private const string AppOrigin = "http://detect.browser-key-test.example";

    [Fact]
    public async Task A_browser_keys_detect_past_its_deadline_is_refused_where_a_secret_keys_becomes_a_job()
    {
        var (secret, browser) = await KeysAsync("browser-fallback");
        using var ownedSecret = secret;
        using var ownedBrowser = browser;
        using var refused = await browser.SendAsync(LateDetect());
        Assert.True(refused.StatusCode is HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
        Assert.False(refused.Headers.Contains("Preference-Applied"));

        // The same request with the tenant's secret key is what the fallback is for.
        using var deferred = await secret.SendAsync(LateDetect());
        Assert.Equal(HttpStatusCode.Accepted, deferred.StatusCode);
    }

    [Fact]
    public async Task A_browser_key_repeating_the_secret_keys_idempotency_key_and_photo_gets_its_own_result_not_a_replay()
    {
        var (secret, browser) = await KeysAsync("browser-idempotency");
        using var ownedSecret = secret;
        using var ownedBrowser = browser;
        using var first = await secret.SendAsync(Detect("shared-key-1"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var secretResult = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var repeat = await browser.SendAsync(Detect("shared-key-1"));
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.False(repeat.Headers.Contains("Idempotent-Replayed"));
        var browserResult = (await repeat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.NotEqual(secretResult, browserResult);

        // Its own repeat is still a replay.
        using var again = await browser.SendAsync(Detect("shared-key-1"));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(browserResult, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
    }

    /// <summary>A tenant allowing <see cref="AppOrigin"/>: clients with its secret key and with a new browser key sending that origin.</summary>
    private async Task<(HttpClient Secret, HttpClient Browser)> KeysAsync(string name)
    {
        var (tenantId, _, secret) = await instances.A.CreateTenantAsync(name);
        using var admin = instances.A.Admin();
        using (var set = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { AppOrigin } }))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }

        using var created = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "web app", kind = "browser" });
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
        var browser = instances.A.Client(key);
        browser.DefaultRequestHeaders.Add("Origin", AppOrigin);
        return (instances.A.Client(secret), browser);
    }

    private static HttpRequestMessage Detect(string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = new ByteArrayContent(BadImages.Dog) };
        request.Content.Headers.ContentType = new("image/jpeg");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
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
