using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Browser;

/// <summary>The labeling page at /label/ in headless Chromium against the real service: a box drawn with the pointer arrives through the API.</summary>
public sealed class LabelingPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Dictionary<string, string> SamplerSettings = new()
    {
        ["Labeling__Sampler__IntervalSeconds"] = "1",
        ["Labeling__Sampler__SettleSeconds"] = "0",
        ["Labeling__Strategies__Feedback__Enabled"] = "true",
        ["Labeling__Strategies__Feedback__Share"] = "1",
        ["Labeling__Strategies__LowConfidence__Enabled"] = "false",
        ["Labeling__Strategies__RareClass__Enabled"] = "false",
        ["Labeling__Strategies__Random__Enabled"] = "false",
        ["Labeling__Strategies__ShadowDisagreement__Enabled"] = "false",
    };

    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_labeler_draws_a_box_on_the_page_and_it_arrives_through_the_api_where_it_agrees_with_a_second_labelers_box()
    {
        var service = await _harness.StartAsync("label-page", extra: SamplerSettings);
        using var admin = new HttpClient { BaseAddress = service.BaseUri };
        admin.DefaultRequestHeaders.Add("X-Api-Key", JobsApiFactory.AdminKey);
        var (tenant, _) = await NewAsync(admin, "/v1/admin/tenants", new { name = "label-page" }, "api_key", "X-Api-Key", service.BaseUri);
        var (pageKey, pageLabeler) = await LabelerKeyAsync(admin, "page-labeler");
        var (apiLabeler, apiLabelerId) = await NewAsync(admin, "/v1/admin/labelers", new { name = "api-labeler", role = "labeler" }, "labeler_key", "X-Labeler-Key", service.BaseUri);
        foreach (var labeler in new[] { pageLabeler, apiLabelerId })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await tenant.PutAsync($"/v1/labeling/grants/{labeler}", null)).StatusCode);
        }

        // A served result the tenant says is wrong feeds the queue.
        var result = await StoredImages.SettledAsync(tenant, await StoredImages.DetectAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[2])));
        using (var feedback = await tenant.PostAsJsonAsync($"/v1/results/{result.GetProperty("id").GetString()}/feedback", new { kind = "result_wrong" }))
        {
            Assert.Equal(HttpStatusCode.Created, feedback.StatusCode);
        }

        var item = await Labeling.LabelingFactory.NextItemAsync(apiLabeler, TimeSpan.FromSeconds(60));
        var itemId = item.GetProperty("id").GetGuid();
        var (width, height) = (item.GetProperty("width").GetDouble(), item.GetProperty("height").GetDouble());

        await using var browser = await BrowserKit.LaunchAsync();
        var page = await browser.PageAsync(BrowserKit.Desktop);
        await page.GotoAsync(new Uri(service.BaseUri, "/label/").ToString());
        await page.GetByLabel("Labeler key", new() { Exact = true }).FillAsync(pageKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start labeling" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync(itemId.ToString());
        await page.WaitForFunctionAsync("document.getElementById('photo').complete && document.getElementById('photo').naturalWidth > 0");
        await page.GetByLabel("Label for new boxes").FillAsync("dog");

        // Drag from 20% to 70% of the photo each way, in screen pixels of the photo as shown.
        var shown = await page.Locator("#photo").BoundingBoxAsync();
        Assert.NotNull(shown);
        var (x1, y1, x2, y2) = (shown.X + (0.2 * shown.Width), shown.Y + (0.2 * shown.Height), shown.X + (0.7 * shown.Width), shown.Y + (0.7 * shown.Height));
        await page.Mouse.MoveAsync((float)x1, (float)y1);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)((x1 + x2) / 2), (float)((y1 + y2) / 2), new() { Steps = 4 });
        await page.Mouse.MoveAsync((float)x2, (float)y2, new() { Steps = 4 });
        await page.Mouse.UpAsync();
        await Assertions.Expect(page.GetByTestId("drawn-box")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#boxes tbody tr")).ToHaveCountAsync(1);
        await BrowserKit.KeepScreenshotAsync(page, "labeling-page");

        var submitted = page.WaitForResponseAsync(r => r.Url.EndsWith($"/v1/labeling/items/{itemId}/labels", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit labels" }).ClickAsync();
        Assert.Equal(200, (await submitted).Status);

        // The second labeler's box, the same region in the photo's pixels: the item becomes final only if the page's box matched it (IoU >= 0.5, same label).
        using var second = await apiLabeler.PostAsJsonAsync($"/v1/labeling/items/{itemId}/labels", new
        {
            boxes = new[] { new { label = "dog", x = 0.2 * width, y = 0.2 * height, width = 0.5 * width, height = 0.5 * height } },
        });
        var state = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString();
        Assert.Equal("final", state);
    }

    private static async Task<(string Key, Guid Id)> LabelerKeyAsync(HttpClient admin, string name)
    {
        using var response = await admin.PostAsJsonAsync("/v1/admin/labelers", new { name, role = "labeler" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("labeler_key").GetString()!, body.GetProperty("id").GetGuid());
    }

    private static async Task<(HttpClient Client, Guid Id)> NewAsync(HttpClient admin, string path, object request, string keyField, string header, Uri baseUri)
    {
        using var response = await admin.PostAsJsonAsync(path, request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add(header, body.GetProperty(keyField).GetString());
        return (client, body.GetProperty("id").GetGuid());
    }
}
