using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Client;

namespace Detector.Tests.Integration.Client;

/// <summary>
/// Detector.Client against the real service over real HTTP: a detect on a COCO photo, paging,
/// typed problems, and retries of real 429s (a tenant whose plan allows almost nothing) and of
/// 503s a loopback proxy puts in front of the service.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TypedClientTests(DetectorApiFactory factory)
{
    private static readonly string[] Coco = Directory.GetFiles(Path.Combine(TestPaths.Coco, "val2017"), "*.jpg").Order().ToArray();

    [Fact]
    public async Task The_typed_client_detects_a_coco_photo_reads_it_back_and_pages_the_tenants_results()
    {
        var key = await NewTenantKeyAsync("client-detect");
        using var http = new HttpClient { BaseAddress = factory.BaseAddress };
        var client = new DetectorClient(http, new DetectorClientOptions { ApiKey = key });

        var photo = await ImageUpload.FromFileAsync(Coco[0]);
        var result = await client.DetectAsync(photo, new DetectOptions { MinScore = 0.3f });
        Assert.NotEmpty(result.Detections);
        Assert.All(result.Detections, d =>
        {
            Assert.InRange(d.Score, 0.3f, 1f);
            Assert.Equal(4, d.Box.Count);
            Assert.False(string.IsNullOrEmpty(d.Label));
        });
        Assert.Matches("^[0-9a-f]{64}$", result.Image.Sha256); // of the photo as stored: its metadata stripped
        Assert.True(result.Image.Width > 0 && result.Image.Height > 0);
        Assert.False(string.IsNullOrEmpty(result.Model.Version));
        Assert.True(result.Timings.TotalMs > 0);

        var again = await client.GetResultAsync(result.Id);
        Assert.Equal(result.Detections.Select(d => (d.Label, d.Score)), again.Detections.Select(d => (d.Label, d.Score)));

        var second = await client.DetectAsync(await ImageUpload.FromFileAsync(Coco[1]));
        var third = await client.DetectAsync(await ImageUpload.FromFileAsync(Coco[2]));
        var listed = new List<Guid>();
        await foreach (var stored in client.ListResultsAsync(pageSize: 2))
        {
            listed.Add(stored.Id);
        }

        Assert.Equal([third.Id, second.Id, result.Id], listed); // newest first, across two pages
    }

    [Fact]
    public async Task Problems_arrive_as_typed_exceptions_with_their_stable_codes()
    {
        var key = await NewTenantKeyAsync("client-problems");
        using var http = new HttpClient { BaseAddress = factory.BaseAddress };
        var client = new DetectorClient(http, new DetectorClientOptions { ApiKey = key });

        var missing = await Assert.ThrowsAsync<NotFoundException>(() => client.GetResultAsync(Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("not_found", missing.Code);
        Assert.False(string.IsNullOrEmpty(missing.TraceId));

        var corrupt = await Assert.ThrowsAsync<InvalidImageException>(() => client.DetectAsync(new ImageUpload(BadImages.TruncatedJpeg, "cut.jpg", "image/jpeg")));
        Assert.Equal(ProblemCodes.CorruptImage, corrupt.Code);

        var photo = await ImageUpload.FromFileAsync(Coco[0]);
        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => client.DetectAsync(photo, new DetectOptions { MinScore = 7 }));
        Assert.Equal(ProblemCodes.ValidationFailed, invalid.Code);

        var stranger = new DetectorClient(http, new DetectorClientOptions { ApiKey = "dk_not-a-key" });
        await Assert.ThrowsAsync<AuthorizationException>(() => stranger.GetResultAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task A_rate_limited_detect_waits_out_Retry_After_and_succeeds_under_the_one_idempotency_key_of_its_call()
    {
        var (key, tenantId) = await NewTenantAsync("client-429");
        await SetPlanAsync(tenantId, requestsPerSecond: 0.5, burst: 1);
        await using var proxy = await FlakyProxy.StartAsync(factory.BaseAddress);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var client = new DetectorClient(http, new DetectorClientOptions { ApiKey = key });

        var first = await client.DetectAsync(await ImageUpload.FromFileAsync(Coco[3]));
        var second = await client.DetectAsync(await ImageUpload.FromFileAsync(Coco[4]));

        var posts = proxy.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(200, posts[0].Status);
        var retried = posts.Skip(1).ToList();
        Assert.True(retried.Count >= 2, "the second detect was refused at least once: " + string.Join(", ", posts.Select(p => p.Status)));
        Assert.Equal(429, retried[0].Status);
        Assert.Equal(200, retried[^1].Status);
        Assert.All(retried, r => Assert.Equal(retried[0].IdempotencyKey, r.IdempotencyKey));
        Assert.NotEqual(posts[0].IdempotencyKey, retried[0].IdempotencyKey);
        Assert.True(retried[1].At - retried[0].At >= TimeSpan.FromSeconds(0.9), "waited Retry-After (at 0.5 requests/s, 1 s or more)");
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task A_rate_limit_whose_Retry_After_ends_past_the_deadline_is_thrown_at_once()
    {
        var (key, tenantId) = await NewTenantAsync("client-429-deadline");
        await SetPlanAsync(tenantId, requestsPerSecond: 0.01, burst: 1);
        await using var proxy = await FlakyProxy.StartAsync(factory.BaseAddress);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var client = new DetectorClient(http, new DetectorClientOptions { ApiKey = key, Deadline = TimeSpan.FromSeconds(5) });
        await client.DetectAsync(await ImageUpload.FromFileAsync(Coco[5]));

        var photo = await ImageUpload.FromFileAsync(Coco[6]);
        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<RateLimitedException>(() => client.DetectAsync(photo));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"gave up at once, not at the deadline ({clock.Elapsed})");
        Assert.Equal(ProblemCodes.RateLimited, refused.Code);
        Assert.True(refused.RetryAfter > TimeSpan.FromSeconds(5), $"Retry-After {refused.RetryAfter} is past the deadline");
        Assert.Equal([200, 429], proxy.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task A_503_with_a_Retry_After_date_after_a_lost_answer_is_retried_with_the_same_key_and_replays_the_one_detection()
    {
        var key = await NewTenantKeyAsync("client-503");
        await using var proxy = await FlakyProxy.StartAsync(factory.BaseAddress);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var client = new DetectorClient(http, new DetectorClientOptions { ApiKey = key });
        // The service detects and answers; the proxy loses that answer and says 503 until a date 2 s on.
        proxy.RefuseNext(1, 503, ProblemCodes.Overloaded, () => DateTimeOffset.UtcNow.AddSeconds(2).ToString("r", CultureInfo.InvariantCulture), answerLost: true);

        var result = await client.DetectAsync(await ImageUpload.FromFileAsync(Coco[7]));

        var attempts = proxy.Requests.ToList();
        Assert.Equal([503, 200], attempts.Select(a => a.Status));
        Assert.Equal(attempts[0].IdempotencyKey, attempts[1].IdempotencyKey);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.9), "waited for the Retry-After date");
        var all = new List<DetectionResult>();
        await foreach (var stored in client.ListResultsAsync())
        {
            all.Add(stored);
        }

        Assert.Equal([result.Id], all.Select(r => r.Id)); // replayed, not detected twice
    }

    [Fact]
    public async Task Overload_that_outlasts_the_deadline_ends_in_an_OverloadedException_before_the_deadline()
    {
        var key = await NewTenantKeyAsync("client-503-deadline");
        await using var proxy = await FlakyProxy.StartAsync(factory.BaseAddress);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var client = new DetectorClient(http, new DetectorClientOptions { ApiKey = key, Deadline = TimeSpan.FromSeconds(2.5) });
        proxy.RefuseNext(20, 503, ProblemCodes.Overloaded, () => "1");

        var photo = await ImageUpload.FromFileAsync(Coco[8]);
        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<OverloadedException>(() => client.DetectAsync(photo));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"stopped before the deadline ({clock.Elapsed})");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
        Assert.InRange(proxy.Requests.Count, 2, 3); // at 0 s, 1 s and (unless the machine is slow) 2 s; a wait to 3 s would pass the deadline
        Assert.Single(proxy.Requests.Select(r => r.IdempotencyKey).Distinct());
    }

    private async Task<string> NewTenantKeyAsync(string name) => (await NewTenantAsync(name)).Key;

    private async Task<(string Key, Guid TenantId)> NewTenantAsync(string name)
    {
        using var admin = factory.CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("api_key").GetString()!, body.GetProperty("id").GetGuid());
    }

    private async Task SetPlanAsync(Guid tenantId, double requestsPerSecond, int burst)
    {
        using var admin = factory.CreateAdminClient();
        using var response = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { requests_per_second = requestsPerSecond, burst });
        response.EnsureSuccessStatusCode();
    }
}
