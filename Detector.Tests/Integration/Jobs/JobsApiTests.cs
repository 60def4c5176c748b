using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

[Collection("Jobs")]
public sealed class JobsApiTests(JobsApiFactory factory) : IClassFixture<JobsApiFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_submitted_job_is_processed_and_its_results_page_in_submission_order()
    {
        using var client = await factory.NewTenantAsync();
        var accepted = await SubmitAsync(client, Images(Coco(5)), "?min_score=0.3");
        Assert.Equal("queued", accepted.GetProperty("status").GetString());
        var statusUrl = accepted.GetProperty("status_url").GetString()!;

        var job = await WaitForTerminalAsync(client, statusUrl, Timeout);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var counts = job.GetProperty("counts");
        Assert.Equal(5, counts.GetProperty("total").GetInt32());
        Assert.Equal(5, counts.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, counts.GetProperty("pending").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("finished_at").ValueKind);

        var indexes = new List<int>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetJsonAsync(client, accepted.GetProperty("results_url").GetString() + "?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            pages++;
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                indexes.Add(item.GetProperty("index").GetInt32());
                Assert.Equal("succeeded", item.GetProperty("status").GetString());
                Assert.Equal(Path.GetFileName(CocoFiles[item.GetProperty("index").GetInt32()]), item.GetProperty("file_name").GetString());
                var result = item.GetProperty("result");
                Assert.Equal("job", result.GetProperty("source").GetString());
                Assert.All(result.GetProperty("detections").EnumerateArray(), d => Assert.True(d.GetProperty("score").GetSingle() >= 0.3f));
            }

            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal([0, 1, 2, 3, 4], indexes);
    }

    [Fact]
    public async Task One_corrupt_image_among_good_ones_makes_the_job_partially_failed_with_that_items_code()
    {
        using var client = await factory.NewTenantAsync();
        var good = Coco(3).ToList();
        byte[] corrupt = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        var accepted = await SubmitAsync(client, Images([good[0], ("broken.jpg", corrupt), good[1], good[2]]));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);

        Assert.Equal("partially_failed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.Equal(1, job.GetProperty("counts").GetProperty("failed").GetInt32());
        var page = await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!);
        var broken = page.GetProperty("items")[1];
        Assert.Equal("broken.jpg", broken.GetProperty("file_name").GetString());
        Assert.Equal("failed", broken.GetProperty("status").GetString());
        Assert.Equal("corrupt_image", broken.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, broken.GetProperty("result").ValueKind);
        Assert.Equal("succeeded", page.GetProperty("items")[2].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancelling_a_job_cancels_the_items_not_yet_run_and_ends_it_cancelled()
    {
        using var client = await factory.NewTenantAsync();
        var accepted = await SubmitAsync(client, Images(Coco(120)), "?priority=low");
        var statusUrl = accepted.GetProperty("status_url").GetString()!;
        using var cancel = await client.DeleteAsync(statusUrl);
        Assert.True(cancel.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, cancel.StatusCode.ToString());
        var afterCancel = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(afterCancel.GetProperty("cancel_requested").GetBoolean());

        var job = await WaitForTerminalAsync(client, statusUrl, Timeout);
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        var counts = job.GetProperty("counts");
        Assert.True(counts.GetProperty("cancelled").GetInt32() > 0, counts.ToString());
        Assert.Equal(120, counts.GetProperty("succeeded").GetInt32() + counts.GetProperty("failed").GetInt32() + counts.GetProperty("cancelled").GetInt32());

        var page = await GetJsonAsync(client, accepted.GetProperty("results_url").GetString() + "?limit=100&cursor=" + ListCursor(19));
        Assert.Contains(page.GetProperty("items").EnumerateArray(), i => i.GetProperty("status").GetString() == "cancelled");

        // Cancelling again is harmless and answers the finished job.
        using var again = await client.DeleteAsync(statusUrl);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Another_tenant_gets_404_for_a_job_its_results_and_its_cancellation()
    {
        using var owner = await factory.NewTenantAsync("owner");
        using var other = await factory.NewTenantAsync("other");
        var accepted = await SubmitAsync(owner, Images(Coco(1)));
        var statusUrl = accepted.GetProperty("status_url").GetString()!;

        foreach (var response in new[] { await other.GetAsync(statusUrl), await other.GetAsync(statusUrl + "/results"), await other.DeleteAsync(statusUrl) })
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal("job_not_found", problem.GetProperty("code").GetString());
            }
        }

        await WaitForTerminalAsync(owner, statusUrl, Timeout);
    }

    [Fact]
    public async Task Bad_submissions_are_refused_with_problem_codes()
    {
        using var client = await factory.NewTenantAsync();
        using (var r = await client.PostAsync("/v1/jobs", new StringContent("""{"urls": ["file:///etc/passwd"]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }

        using (var r = await client.PostAsync("/v1/jobs", new StringContent("""{"urls": []}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }

        using (var r = await client.PostAsync("/v1/jobs?priority=urgent", Images(Coco(1))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }

        using (var r = await client.PostAsync("/v1/jobs", new MultipartFormDataContent { { new StringContent("x"), "other" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("missing_image_field", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }

        using (var r = await factory.CreateClient().PostAsync("/v1/jobs", Images(Coco(1))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
    }

    [Fact]
    public async Task The_dashboard_admits_only_the_admin_key_or_basic_auth_as_admin()
    {
        using var anonymous = factory.CreateClient();
        using (var r = await anonymous.GetAsync("/hangfire"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("Basic", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        using var tenant = await factory.NewTenantAsync();
        using (var r = await tenant.GetAsync("/hangfire"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }

        using (var wrong = factory.CreateClient())
        {
            wrong.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:not-the-key")));
            using var r = await wrong.GetAsync("/hangfire");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }

        using (var admin = factory.Admin())
        using (var r = await admin.GetAsync("/hangfire"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("Hangfire", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var browser = factory.CreateClient())
        {
            browser.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + JobsApiFactory.AdminKey)));
            using var r = await browser.GetAsync("/hangfire/jobs/enqueued");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
    }

    [Fact]
    public async Task A_sync_request_preferring_async_that_misses_its_deadline_becomes_a_one_image_job()
    {
        using var client = await factory.NewTenantAsync();
        var image = File.ReadAllBytes(CocoFiles[0]);

        using var plain = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = new ByteArrayContent(image) };
        plain.Content.Headers.ContentType = new("image/jpeg");
        plain.Headers.Add("X-Deadline-Ms", "1");
        using (var r = await client.SendAsync(plain))
        {
            Assert.True(r.StatusCode is HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable, r.StatusCode.ToString());
        }

        using var preferAsync = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = new ByteArrayContent(image) };
        preferAsync.Content.Headers.ContentType = new("image/jpeg");
        preferAsync.Headers.Add("X-Deadline-Ms", "1");
        preferAsync.Headers.Add("Prefer", "respond-async, wait=1");
        using var response = await client.SendAsync(preferAsync);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("respond-async", response.Headers.GetValues("Preference-Applied").Single());
        var accepted = JsonDocument.Parse(body).RootElement;
        Assert.Equal(accepted.GetProperty("status_url").GetString(), response.Headers.Location!.ToString());

        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("sync_fallback", job.GetProperty("source").GetString());
        var page = await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!);
        Assert.Equal("job", page.GetProperty("items")[0].GetProperty("result").GetProperty("source").GetString());
    }

    private static string ListCursor(int index) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("i:" + index)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
