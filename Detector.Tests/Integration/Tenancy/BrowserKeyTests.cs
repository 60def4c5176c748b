using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// Browser keys and CORS over real HTTP on two instances of one database (ADR 0027): origins set
/// through one instance reach the other through the change feed.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class BrowserKeyTests(TwoInstances instances)
{
    private const string AppOrigin = "http://app.browser-key-test.example:5173";
    private const string OtherOrigin = "https://evil.browser-key-test.example";

    [Fact]
    public void Only_detect_reading_a_result_and_its_drawing_and_listing_models_are_open_to_browser_keys()
    {
        // Every other endpoint is closed to browser keys by default: a new one stays closed until it opts in here.
        var open = instances.A.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Where(e => e.Metadata.GetMetadata<BrowserKeysAllowed>() is not null)
            .Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? e.DisplayName ?? "?")
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(["DetectObjects", "GetAnnotatedResult", "GetAnnotatedResultPng", "GetResult", "ListModels"], open);
    }

    [Fact]
    public async Task A_preflight_from_an_allowed_origin_gets_204_with_allow_headers_another_gets_none_and_neither_a_401()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("preflight");
        await SetOriginsAsync(tenantId, [AppOrigin]);

        // Set through A, heard by B through the change feed.
        using var client = instances.B.Client();
        using var allowed = await EventuallyAsync(() => PreflightAsync(client, AppOrigin), r => r.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal(AppOrigin, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(allowed, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Contains("X-Api-Key", Header(allowed, "Access-Control-Allow-Headers"), StringComparison.Ordinal);
        Assert.Contains("Idempotency-Key", Header(allowed, "Access-Control-Allow-Headers"), StringComparison.Ordinal);
        Assert.Equal("600", Header(allowed, "Access-Control-Max-Age"));
        Assert.Contains("Origin", allowed.Headers.Vary);

        // An origin no tenant lists (another test's tenant lists OtherOrigin).
        using var refused = await PreflightAsync(client, "https://never-listed.browser-key-test.example");
        Assert.NotEqual(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Methods"));

        // Taken away again: the next preflight from it gets no allow headers on either instance.
        await SetOriginsAsync(tenantId, []);
        using var removed = await EventuallyAsync(() => PreflightAsync(client, AppOrigin), r => !r.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
    }

    [Fact]
    public async Task A_browser_key_from_its_allowed_origin_detects_and_reads_its_own_result_and_its_drawing_with_cors_headers()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("browser-own");
        await SetOriginsAsync(tenantId, [AppOrigin]);
        var (keyId, key) = await CreateBrowserKeyAsync(tenantId);
        Assert.StartsWith("dkb_", key, StringComparison.Ordinal);
        using var browser = BrowserClient(instances.A, key, AppOrigin);

        using var detected = await browser.PostAsync("/v1/detect", Jpeg(BadImages.Dog));
        Assert.True(detected.StatusCode == HttpStatusCode.OK, await detected.Content.ReadAsStringAsync());
        Assert.Equal(AppOrigin, Header(detected, "Access-Control-Allow-Origin"));
        Assert.Contains("ETag", Header(detected, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
        Assert.Contains("Origin", detected.Headers.Vary);
        Assert.Matches("^\"browser\";q=", Header(detected, "RateLimit-Policy"));
        var resultId = (await detected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var read = await EventuallyAsync(() => browser.GetAsync($"/v1/results/{resultId}"), r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(AppOrigin, Header(read, "Access-Control-Allow-Origin"));
        using var drawn = await EventuallyAsync(() => browser.GetAsync($"/v1/results/{resultId}/annotated.jpg?max_side=200"), r => r.StatusCode != HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, drawn.StatusCode);
        Assert.Equal("image/jpeg", drawn.Content.Headers.ContentType?.MediaType);
        using var models = await browser.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);

        // The key list says which key is which.
        using var admin = instances.A.Admin();
        var keys = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{tenantId}/keys")).GetProperty("keys").EnumerateArray().ToList();
        Assert.Equal("browser", keys.Single(k => k.GetProperty("id").GetGuid() == keyId).GetProperty("kind").GetString());
        Assert.Equal("secret", keys.Single(k => k.GetProperty("id").GetGuid() != keyId).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_browser_key_without_an_origin_from_another_origin_or_from_another_tenants_origin_is_refused()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("browser-origin");
        var (otherTenant, _, _) = await instances.A.CreateTenantAsync("browser-origin-other");
        await SetOriginsAsync(tenantId, [AppOrigin]);
        await SetOriginsAsync(otherTenant, [OtherOrigin]);
        var (_, key) = await CreateBrowserKeyAsync(tenantId);

        using var noOrigin = instances.A.Client(key);
        await ProblemAssert.IsProblemAsync(await noOrigin.PostAsync("/v1/detect", Jpeg(BadImages.Dog)), HttpStatusCode.Forbidden, ErrorCodes.OriginNotAllowed);
        using var elsewhere = BrowserClient(instances.A, key, "https://not-listed.example");
        using var refused = await elsewhere.GetAsync("/v1/models");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, ErrorCodes.OriginNotAllowed);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        // An origin another tenant allows is not this key's.
        using var othersOrigin = BrowserClient(instances.A, key, OtherOrigin);
        await ProblemAssert.IsProblemAsync(await othersOrigin.GetAsync("/v1/models"), HttpStatusCode.Forbidden, ErrorCodes.OriginNotAllowed);
    }

    [Fact]
    public async Task A_browser_key_cannot_list_results_use_admin_routes_submit_url_or_file_jobs_read_usage_or_touch_secrets_and_deletes()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("browser-closed");
        await SetOriginsAsync(tenantId, [AppOrigin]);
        var (_, key) = await CreateBrowserKeyAsync(tenantId);
        using var browser = BrowserClient(instances.A, key, AppOrigin);
        var sha = new string('a', 64);

        var attempts = new (string What, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("list results", () => browser.GetAsync("/v1/results")),
            ("list tenants", () => browser.GetAsync("/v1/admin/tenants")),
            ("read its own tenant", () => browser.GetAsync($"/v1/admin/tenants/{tenantId}")),
            ("create a key", () => browser.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "more" })),
            ("set origins", () => browser.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { OtherOrigin } })),
            ("admin models", () => browser.GetAsync("/v1/admin/audit")),
            ("submit a URL job", () => browser.PostAsJsonAsync("/v1/jobs", new { urls = new[] { "http://127.0.0.1:1/a.jpg" } })),
            ("submit a file job", () => browser.PostAsync("/v1/jobs", FileJob())),
            ("list a job", () => browser.GetAsync($"/v1/jobs/{Guid.NewGuid()}")),
            ("read usage", () => browser.GetAsync("/v1/usage")),
            ("list webhook secrets", () => browser.GetAsync("/v1/webhook-secrets")),
            ("delete an image", () => browser.DeleteAsync($"/v1/images/{sha}")),
            ("delete a result", () => browser.DeleteAsync($"/v1/results/{Guid.NewGuid()}")),
        };
        foreach (var (what, send) in attempts)
        {
            using var response = await send();
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{what}: {(int)response.StatusCode} {text}");
            Assert.True(text.Contains($"\"{ErrorCodes.KeyNotAllowed}\"", StringComparison.Ordinal), $"{what}: {text}");
            // From the allowed origin, the page can read why.
            Assert.Equal(AppOrigin, Header(response, "Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task A_browser_key_cannot_read_a_result_its_tenants_secret_key_or_another_browser_key_created()
    {
        var (tenantId, _, secret) = await instances.A.CreateTenantAsync("browser-others");
        await SetOriginsAsync(tenantId, [AppOrigin]);
        var (_, first) = await CreateBrowserKeyAsync(tenantId);
        var (_, second) = await CreateBrowserKeyAsync(tenantId);

        using var server = instances.A.Client(secret);
        using var bySecret = await server.PostAsync("/v1/detect", Jpeg(BadImages.Dog));
        Assert.Equal(HttpStatusCode.OK, bySecret.StatusCode);
        var secretResult = (await bySecret.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var firstBrowser = BrowserClient(instances.A, first, AppOrigin);
        using var byFirst = await firstBrowser.PostAsync("/v1/detect", Jpeg(BadImages.Dog));
        Assert.Equal(HttpStatusCode.OK, byFirst.StatusCode);
        var firstResult = (await byFirst.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var secondBrowser = BrowserClient(instances.A, second, AppOrigin);
        await ProblemAssert.IsProblemAsync(await secondBrowser.GetAsync($"/v1/results/{secretResult}"), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await ProblemAssert.IsProblemAsync(await secondBrowser.GetAsync($"/v1/results/{firstResult}"), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await ProblemAssert.IsProblemAsync(await firstBrowser.GetAsync($"/v1/results/{secretResult}/annotated.png"), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        // The secret key still reads every result of its tenant, the browser keys' too.
        using var all = await server.GetAsync($"/v1/results/{firstResult}");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
    }

    [Fact]
    public async Task A_browser_key_gets_the_plans_tighter_browser_rate_in_its_own_bucket_while_the_secret_key_keeps_the_plans()
    {
        var (tenantId, _, secret) = await instances.A.CreateTenantAsync("browser-rate", new { browser_requests_per_second = 0.2, browser_burst = 3 });
        await SetOriginsAsync(tenantId, [AppOrigin]);
        var (_, key) = await CreateBrowserKeyAsync(tenantId);
        using var browser = BrowserClient(instances.A, key, AppOrigin);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await browser.GetAsync($"/v1/results/{Guid.NewGuid()}");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("\"browser\";q=3;w=15", Header(response, "RateLimit-Policy"));
                Assert.Equal(AppOrigin, Header(response, "Access-Control-Allow-Origin"));
            }
        }

        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        using var server = instances.A.Client(secret);
        using var still = await server.GetAsync("/v1/results?limit=1");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Equal("\"tenant\";q=40;w=2", Header(still, "RateLimit-Policy"));
    }

    [Fact]
    public async Task Origins_must_be_bare_http_or_https_origins_and_are_stored_as_browsers_send_them()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("origins-rules");
        using var admin = instances.A.Admin();
        foreach (var bad in new[] { "https://app.example/path", "https://*.example", "ftp://app.example", "app.example", "https://app.example?x=1" })
        {
            using var refused = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { bad } });
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        }

        using var set = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { "HTTPS://App.Example:443", "http://127.0.0.1:5173" } });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var shown = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{tenantId}");
        Assert.Equal(["http://127.0.0.1:5173", "https://app.example"], shown.GetProperty("allowed_origins").EnumerateArray().Select(o => o.GetString()!).ToArray());
    }

    private static Task<HttpResponseMessage> PreflightAsync(HttpClient client, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/detect");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key, content-type");
        return client.SendAsync(request);
    }

    private async Task SetOriginsAsync(Guid tenantId, string[] origins)
    {
        using var admin = instances.A.Admin();
        using var response = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(Guid Id, string Key)> CreateBrowserKeyAsync(Guid tenantId)
    {
        using var admin = instances.A.Admin();
        using var response = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "web app", kind = "browser" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("browser", body.GetProperty("kind").GetString());
        return (body.GetProperty("id").GetGuid(), body.GetProperty("api_key").GetString()!);
    }

    private static HttpClient BrowserClient(TenancyHost host, string key, string origin)
    {
        var client = host.Client(key);
        client.DefaultRequestHeaders.Add("Origin", origin);
        return client;
    }

    private static ByteArrayContent Jpeg(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return content;
    }

    private static MultipartFormDataContent FileJob()
    {
        var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(BadImages.Dog);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(image, "images", "dog.jpg");
        return form;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    /// <summary>Asks until the answer is as expected (a change travels through the feed) or 10 s pass; answers the last one.</summary>
    private static async Task<HttpResponseMessage> EventuallyAsync(Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, bool> expected)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await send();
            if (expected(response) || DateTime.UtcNow > until)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(100);
        }
    }
}
