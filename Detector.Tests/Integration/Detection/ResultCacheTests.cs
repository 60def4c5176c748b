using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Detector.Modules.Detection.DetectAndRecord;
using Detector.Tests.Integration.Compliance;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SkiaSharp;

namespace Detector.Tests.Integration.Detection;

/// <summary>
/// The per-tenant result cache over HTTP (ADR 0017): a repeat with other thresholds is answered
/// without inference and exactly as a fresh run; changed pixels, another tenant, a deleted result
/// or an erased tenant never get a hit.
/// </summary>
[Collection("Jobs")]
public sealed class ResultCacheTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    [Fact]
    public async Task A_repeat_with_other_thresholds_is_served_from_the_cache_without_inference_and_equals_a_fresh_run()
    {
        using var admin = factory.Admin();
        using var a = await TenantUsage.CreateAsync(factory, admin, "cache-a", firstImage: -1);
        var photo = await File.ReadAllBytesAsync(Photos[0]);
        var hitsBefore = await CacheLookupsAsync("hit");

        var first = await DetectAsync(a.Client, photo, "");
        Assert.False(IsHit(first), "a first detection is not a hit");
        Assert.True(first.GetProperty("timings").GetProperty("inference_ms").GetDouble() > 0);

        foreach (var query in new[] { "min_score=0.4", "min_score=0.3&iou=0.3&max_detections=3", "" })
        {
            var hit = await DetectAsync(a.Client, photo, query);
            Assert.True(IsHit(hit), $"not a hit: {hit}");
            Assert.Equal(0, hit.GetProperty("timings").GetProperty("inference_ms").GetDouble());
            Assert.Equal(0, hit.GetProperty("timings").GetProperty("batch_size").GetInt32());
            Assert.NotEqual(first.GetProperty("id").GetGuid(), hit.GetProperty("id").GetGuid());

            // Another tenant's identical upload is never A's hit: it runs the model, under its own
            // result id, and is the fresh run the hit must equal (a new tenant each time, so its
            // own cache cannot answer it either).
            using var b = await TenantUsage.CreateAsync(factory, admin, "cache-b", firstImage: -1);
            var fresh = await DetectAsync(b.Client, photo, query);
            Assert.False(IsHit(fresh), "another tenant's upload was a hit");
            Assert.True(fresh.GetProperty("timings").GetProperty("inference_ms").GetDouble() > 0);
            Assert.Equal(Detections(fresh), Detections(hit));
            Assert.NotEqual(hit.GetProperty("id").GetGuid(), fresh.GetProperty("id").GetGuid());
            Assert.Equal(fresh.GetProperty("image").GetProperty("sha256").GetString(), hit.GetProperty("image").GetProperty("sha256").GetString());
        }

        Assert.True(await CacheLookupsAsync("hit") >= hitsBefore + 3, "each hit is counted");
    }

    [Fact]
    public async Task A_photo_with_changed_pixels_is_a_miss()
    {
        using var admin = factory.Admin();
        using var a = await TenantUsage.CreateAsync(factory, admin, "cache-pixels", firstImage: -1);
        var photo = await File.ReadAllBytesAsync(Photos[1]);
        await DetectAsync(a.Client, photo, "");

        var changed = await DetectAsync(a.Client, WithOnePixelChanged(photo), "");
        Assert.False(IsHit(changed));
        Assert.True(changed.GetProperty("timings").GetProperty("inference_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task After_its_result_is_deleted_a_photo_runs_the_model_again_and_the_cache_keeps_nothing_of_it()
    {
        using var admin = factory.Admin();
        using var a = await TenantUsage.CreateAsync(factory, admin, "cache-delete", firstImage: -1);
        var photo = await File.ReadAllBytesAsync(Photos[2]);
        var first = await DetectAsync(a.Client, photo, "");
        Assert.Equal(1, Cache.CountFor(a.TenantId));

        using (var deleted = await a.Client.DeleteAsync($"/v1/results/{first.GetProperty("id").GetGuid()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Equal(0, Cache.CountFor(a.TenantId));
        var again = await DetectAsync(a.Client, photo, "min_score=0.4");
        Assert.False(IsHit(again), "a deleted result's detections came back from the cache");
        Assert.True(again.GetProperty("timings").GetProperty("inference_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task A_result_deleted_by_another_instance_is_never_served_from_this_ones_cache()
    {
        using var admin = factory.Admin();
        using var a = await TenantUsage.CreateAsync(factory, admin, "cache-elsewhere", firstImage: -1);
        var photo = await File.ReadAllBytesAsync(Photos[3]);
        var first = await DetectAsync(a.Client, photo, "");

        // What another instance's DELETE does to the database; this instance hears nothing of it.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var delete = new NpgsqlCommand("DELETE FROM results.results WHERE id = @id", connection);
            delete.Parameters.AddWithValue("id", first.GetProperty("id").GetGuid());
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        Assert.Equal(1, Cache.CountFor(a.TenantId));
        var staleBefore = await CacheLookupsAsync("stale");
        var again = await DetectAsync(a.Client, photo, "");
        Assert.False(IsHit(again));
        Assert.True(await CacheLookupsAsync("stale") >= staleBefore + 1);
    }

    [Fact]
    public async Task After_a_tenant_erase_the_cache_holds_nothing_of_the_tenant()
    {
        using var admin = factory.Admin();
        using var a = await TenantUsage.CreateAsync(factory, admin, "cache-erase", firstImage: -1);
        await DetectAsync(a.Client, await File.ReadAllBytesAsync(Photos[4]), "");
        await DetectAsync(a.Client, await File.ReadAllBytesAsync(Photos[5]), "");
        Assert.Equal(2, Cache.CountFor(a.TenantId));

        using var erased = await admin.PostAsync($"/v1/admin/tenants/{a.TenantId}/erase", null);
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Equal(0, Cache.CountFor(a.TenantId));
    }

    [Fact]
    public async Task A_result_read_answers_an_etag_and_304_when_the_client_has_it()
    {
        using var admin = factory.Admin();
        using var a = await TenantUsage.CreateAsync(factory, admin, "cache-etag", firstImage: -1);
        var result = await StoredImages.SettledAsync(a.Client, await DetectAsync(a.Client, await File.ReadAllBytesAsync(Photos[6]), ""));
        var url = $"/v1/results/{result.GetProperty("id").GetGuid()}";

        using var read = await a.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var etag = read.Headers.ETag;
        Assert.NotNull(etag);
        var stored = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, stored.GetProperty("schema_version").GetInt32());
        Assert.Equal("production", stored.GetProperty("model").GetProperty("variant").GetString());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(etag);
        using var notModified = await a.Client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using var other = new HttpRequestMessage(HttpMethod.Get, url);
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        using var full = await a.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
    }

    /// <summary>COCO photos the other tests of the shared database do not send (they use val2017), so no test's repeat is another's.</summary>
    private static readonly string[] Photos = Directory.GetFiles(Path.Combine(TestPaths.Coco, "train2017"), "*.jpg").Order().ToArray();

    private ResultCache Cache => factory.Services.GetRequiredService<ResultCache>();

    private static async Task<JsonElement> DetectAsync(HttpClient client, byte[] photo, string query)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await client.PostAsync("/v1/detect" + (query == "" ? "" : "?" + query), DetectorApiFactory.ImageForm(photo));
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && attempt < 20)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }

    private static bool IsHit(JsonElement result) => result.TryGetProperty("cache", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() == "hit";

    private static string Detections(JsonElement result) => result.GetProperty("detections").GetRawText();

    private async Task<double> CacheLookupsAsync(string outcome)
    {
        using var client = factory.CreateClient();
        var text = await client.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith("detector_result_cache_lookups_total{", StringComparison.Ordinal) && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static byte[] WithOnePixelChanged(byte[] jpeg)
    {
        using var bitmap = SKBitmap.Decode(jpeg);
        var p = bitmap.GetPixel(bitmap.Width / 2, bitmap.Height / 2);
        bitmap.SetPixel(bitmap.Width / 2, bitmap.Height / 2, new SKColor((byte)(p.Red ^ 0x80), p.Green, p.Blue));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }
}
