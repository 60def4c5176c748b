using System.Net.Http.Json;
using System.Text.Json;
using Deque.AxeCore.Playwright;
using Detector.Tests.Integration.Jobs;
using Microsoft.Playwright;
using SkiaSharp;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Browser;

/// <summary>The page at / in headless Chromium against the real service on a loopback port.</summary>
public sealed class TryPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_person_with_a_key_uploads_the_dog_photo_and_sees_boxes_where_the_api_says_at_desktop_and_phone_sizes()
    {
        var service = await _harness.StartAsync("page");
        var apiKey = await TenantKeyAsync(service.BaseUri);
        await using var browser = await BrowserKit.LaunchAsync();

        foreach (var (name, viewport, mobile) in new[] { ("desktop", BrowserKit.Desktop, false), ("phone", BrowserKit.Phone, true) })
        {
            var page = await browser.PageAsync(viewport, mobile);
            await page.GotoAsync(service.BaseUri.ToString());
            await page.GetByLabel("API key", new() { Exact = true }).FillAsync(apiKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
            await Assertions.Expect(page.Locator("#key-status")).ToHaveTextAsync("Key accepted.");

            var answer = page.WaitForResponseAsync(r => r.Url.Contains("/v1/detect", StringComparison.Ordinal) && r.Request.Method == "POST");
            await page.GetByLabel("Choose a photo, or drop one here").SetInputFilesAsync(Path.Combine(TestPaths.Samples, "dog.jpg"));
            var result = JsonDocument.Parse(await (await answer).TextAsync()).RootElement;
            var detections = result.GetProperty("detections").EnumerateArray().ToList();
            Assert.NotEmpty(detections);
            await Assertions.Expect(page.GetByTestId("box")).ToHaveCountAsync(detections.Count);

            // Each drawn box covers the API's box scaled from the photo's pixels to the image as displayed.
            var image = await page.Locator("#viewer-image").BoundingBoxAsync();
            Assert.NotNull(image);
            var scale = image.Width / result.GetProperty("image").GetProperty("width").GetDouble();
            Assert.True(image.Width <= viewport.Width, $"{name}: the photo ({image.Width} px) overflows the viewport");
            for (var i = 0; i < detections.Count; i++)
            {
                var box = detections[i].GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                var drawn = await page.Locator($"[data-testid=box][data-index='{i}'] rect").BoundingBoxAsync();
                Assert.NotNull(drawn);
                var tolerance = 2 + (4 * scale);
                Assert.InRange(drawn.X, image.X + (box[0] * scale) - tolerance, image.X + (box[0] * scale) + tolerance);
                Assert.InRange(drawn.Y, image.Y + (box[1] * scale) - tolerance, image.Y + (box[1] * scale) + tolerance);
                Assert.InRange(drawn.Width, ((box[2] - box[0]) * scale) - (2 * tolerance), ((box[2] - box[0]) * scale) + (2 * tolerance));
            }

            await Assertions.Expect(page.Locator("#detections tbody tr")).ToHaveCountAsync(detections.Count);
            // Labels, contrast, roles and names as axe-core checks them (WCAG 2 A and AA), with a result on screen.
            var axe = await page.RunAxe();
            Assert.True(axe.Violations.Length == 0, $"{name}: " + string.Join("; ", axe.Violations.Select(v => $"{v.Id}: {v.Help} ({v.Nodes.Length})")));
            // Keyboard: the detect form is reached and used without a pointer.
            await page.Locator("#min-score").FocusAsync();
            await page.Keyboard.PressAsync("Tab");
            Assert.Equal("detect-button", await page.EvaluateAsync<string>("document.activeElement.id"));

            var screenshot = await BrowserKit.KeepScreenshotAsync(page, $"try-page-{name}");
            using var bitmap = SKBitmap.Decode(screenshot);
            Assert.Equal(viewport.Width, bitmap.Width);
            output.WriteLine($"{name}: {detections.Count} boxes, screenshot {bitmap.Width}x{bitmap.Height} in {BrowserKit.Screenshots}");
        }
    }

    private static async Task<string> TenantKeyAsync(Uri baseUri)
    {
        using var admin = new HttpClient { BaseAddress = baseUri };
        admin.DefaultRequestHeaders.Add("X-Api-Key", JobsApiFactory.AdminKey);
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "page-test" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
    }

    [Fact]
    public async Task Several_photos_sent_as_a_job_from_the_page_are_watched_to_the_end_and_listed_among_the_recent_results()
    {
        var service = await _harness.StartAsync("page-job");
        var apiKey = await TenantKeyAsync(service.BaseUri);
        await using var browser = await BrowserKit.LaunchAsync();
        var page = await browser.PageAsync(BrowserKit.Desktop);
        await page.GotoAsync(service.BaseUri.ToString());
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync(apiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
        await Assertions.Expect(page.Locator("#key-status")).ToHaveTextAsync("Key accepted.");

        await page.GetByLabel("Photos", new() { Exact = true }).SetInputFilesAsync(JobsTestKit.CocoFiles.Take(3).ToArray());
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).ClickAsync();
        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("Job succeeded: 3 of 3 photos done.", new() { Timeout = 90_000 });
        Assert.Equal("3", await page.Locator("#job-progress").GetAttributeAsync("value"));
        await Assertions.Expect(page.Locator("#recent tbody tr")).ToHaveCountAsync(3);
        await BrowserKit.KeepScreenshotAsync(page, "try-page-job");
    }
}
