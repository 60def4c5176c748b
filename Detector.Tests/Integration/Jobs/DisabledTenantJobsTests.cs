using System.Net.Http.Json;
using System.Text.Json;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>Disabling a tenant stops its queued job items and its webhooks; enabling it resumes both, nothing lost or doubled.</summary>
[Collection("Jobs")]
public sealed class DisabledTenantJobsTests(OutboundJobsFactory factory) : IClassFixture<OutboundJobsFactory>
{
    [Fact]
    public async Task A_disabled_tenants_queued_items_wait_unclaimed_and_finish_once_after_it_is_enabled()
    {
        // The job is committed undispatched and the tenant disabled at once, so every chunk that
        // runs meets a disabled tenant: the sweep dispatches them after OrphanGraceSeconds (5 s).
        const int Count = 8;
        var (tenantId, jobId) = await factory.CreateUndispatchedJobAsync(Count);
        using var admin = factory.Admin();
        (await admin.PostAsync($"/v1/admin/tenants/{tenantId}/disable", null)).EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND hangfire_job_id IS NOT NULL", jobId) < Count)
        {
            Assert.True(DateTime.UtcNow < deadline, "the sweep dispatched the job's items");
            await Task.Delay(200);
        }

        // Dispatched, and bounced by the worker for a few recheck rounds (1 s each): nothing claimed.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(Count, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'queued' AND attempts = 0", jobId));
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM jobs.jobs WHERE id = @jobId AND finished_at IS NULL", jobId));

        (await admin.PostAsync($"/v1/admin/tenants/{tenantId}/enable", null)).EnsureSuccessStatusCode();
        Assert.Equal("succeeded", await factory.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2)));
        Assert.Equal(Count, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded' AND attempts = 1", jobId));
        Assert.Equal(Count, await factory.CountAsync("SELECT count(DISTINCT result_id) FROM jobs.items WHERE job_id = @jobId", jobId));
    }

    [Fact]
    public async Task A_disabled_tenants_webhook_makes_no_attempt_until_it_is_enabled()
    {
        using var admin = factory.Admin();
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "webhook-paused" });
        created.EnsureSuccessStatusCode();
        var tenant = await created.Content.ReadFromJsonAsync<JsonElement>();
        var tenantId = tenant.GetProperty("id").GetGuid();
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", tenant.GetProperty("api_key").GetString());

        (await client.PostAsync("/v1/webhook-secrets", null)).EnsureSuccessStatusCode();
        const string Hook = "paused-tenant";
        factory.Loopback.Failing[Hook] = true;
        var callback = new Uri(factory.Loopback.BaseUri, "/hook/" + Hook).ToString();
        var accepted = await SubmitAsync(client, Images(Coco(1)), "?callback_url=" + Uri.EscapeDataString(callback));
        var statusUrl = accepted.GetProperty("status_url").GetString()!;
        Assert.Equal("succeeded", (await WaitForTerminalAsync(client, statusUrl, TimeSpan.FromMinutes(2))).GetProperty("status").GetString());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Attempts(Hook) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first webhook attempt arrived");
            await Task.Delay(50);
        }

        (await admin.PostAsync($"/v1/admin/tenants/{tenantId}/disable", null)).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the change reaches every instance within 2 s; an attempt already started may end
        var whileDisabled = Attempts(Hook);
        await Task.Delay(TimeSpan.FromSeconds(4)); // retries are due every second or less
        Assert.Equal(whileDisabled, Attempts(Hook));

        factory.Loopback.Failing.TryRemove(Hook, out _);
        (await admin.PostAsync($"/v1/admin/tenants/{tenantId}/enable", null)).EnsureSuccessStatusCode();
        deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await GetJsonAsync(client, statusUrl)).GetProperty("webhook").GetProperty("status").GetString() != "delivered")
        {
            Assert.True(DateTime.UtcNow < deadline, "the webhook was delivered once the tenant was enabled");
            await Task.Delay(200);
        }

        // The receiver fails a path's first two deliveries whatever else holds; past those, the first attempt after enabling is delivered.
        Assert.Equal(Math.Max(3, whileDisabled + 1), Attempts(Hook));
    }

    private int Attempts(string hook) => factory.Loopback.Hooks.TryGetValue(hook, out var q) ? q.Count : 0;
}
