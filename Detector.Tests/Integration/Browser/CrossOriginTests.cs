using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Browser;

/// <summary>
/// A web app on another origin calls the real service with a browser key, through fetch in
/// headless Chromium (ADR 0027): the browser's own CORS checks decide, as they would for a user.
/// </summary>
public sealed class CrossOriginTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Detects the page's photo with the key, then reads the result back; a refused fetch answers its error.</summary>
    private const string CallTheApi =
        """
        async ([api, key]) => {
          const photo = await (await fetch('/dog.jpg')).blob();
          try {
            const detect = await fetch(api + 'v1/detect', { method: 'POST', headers: { 'X-Api-Key': key, 'Content-Type': 'image/jpeg' }, body: photo });
            const result = await detect.json();
            if (!detect.ok) return { fetched: true, status: detect.status, code: result.code ?? null, read: 0, objects: 0 };
            const read = await fetch(api + 'v1/results/' + result.id, { headers: { 'X-Api-Key': key } });
            return { fetched: true, status: detect.status, code: null, read: read.status, objects: result.detections.length };
          } catch (e) {
            return { fetched: false, status: 0, code: String(e), read: 0, objects: 0 };
          }
        }
        """;

    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_page_on_an_allowed_origin_detects_with_a_browser_key_and_a_page_on_another_origin_is_refused_by_the_browser()
    {
        var service = await _harness.StartAsync("cors");
        await using var allowedSite = await StaticSite.StartAsync();
        await using var otherSite = await StaticSite.StartAsync();
        Assert.NotEqual(allowedSite.Origin, otherSite.Origin);
        var key = await BrowserKeyAsync(service.BaseUri, allowedSite.Origin);

        // The preflight carries no key and never gets 401.
        using (var plain = new HttpClient { BaseAddress = service.BaseUri })
        using (var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/detect"))
        {
            preflight.Headers.Add("Origin", otherSite.Origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            using var answer = await plain.SendAsync(preflight);
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        }

        await using var browser = await BrowserKit.LaunchAsync();
        var allowed = await CallFromAsync(browser, allowedSite, service.BaseUri, key);
        output.WriteLine($"from {allowedSite.Origin}: {allowed}");
        Assert.True(allowed.GetProperty("fetched").GetBoolean(), allowed.ToString());
        Assert.Equal(200, allowed.GetProperty("status").GetInt32());
        Assert.Equal(200, allowed.GetProperty("read").GetInt32());
        Assert.True(allowed.GetProperty("objects").GetInt32() > 0, allowed.ToString());

        var refused = await CallFromAsync(browser, otherSite, service.BaseUri, key);
        output.WriteLine($"from {otherSite.Origin}: {refused}");
        // The browser stops it at the preflight: the page never sees an answer.
        Assert.False(refused.GetProperty("fetched").GetBoolean(), refused.ToString());
        Assert.Contains("Failed to fetch", refused.GetProperty("code").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> CallFromAsync(BrowserKit browser, StaticSite site, Uri api, string key)
    {
        var page = await browser.PageAsync(BrowserKit.Desktop);
        await page.GotoAsync(site.Origin + "/");
        return await page.EvaluateAsync<JsonElement>(CallTheApi, new[] { api.ToString(), key });
    }

    private static async Task<string> BrowserKeyAsync(Uri baseUri, string origin)
    {
        using var admin = new HttpClient { BaseAddress = baseUri };
        admin.DefaultRequestHeaders.Add("X-Api-Key", JobsApiFactory.AdminKey);
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "cors-test" });
        created.EnsureSuccessStatusCode();
        var tenantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var origins = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/origins", new { origins = new[] { origin } });
        Assert.True(origins.IsSuccessStatusCode, await origins.Content.ReadAsStringAsync());
        using var key = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "web app", kind = "browser" });
        Assert.True(key.IsSuccessStatusCode, await key.Content.ReadAsStringAsync());
        return (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
    }

    /// <summary>A web app's origin: a blank page and the photo it sends, on its own loopback port.</summary>
    private sealed class StaticSite : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private StaticSite(WebApplication app, string origin) => (_app, Origin) = (app, origin);

        public string Origin { get; }

        public static async Task<StaticSite> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapGet("/", () => Results.Content("<!doctype html><html lang=\"en\"><title>web app</title><p>web app</p></html>", "text/html"));
            app.MapGet("/dog.jpg", () => Results.File(BadImages.Dog, "image/jpeg"));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new StaticSite(app, address.TrimEnd('/'));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
