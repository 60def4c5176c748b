using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Compliance;

/// <summary>A tenant that has used the service the usual ways, with the ids of what it made.</summary>
internal sealed class TenantUsage : IDisposable
{
    private TenantUsage(HttpClient client, Guid tenantId, Guid keyId)
    {
        Client = client;
        TenantId = tenantId;
        KeyId = keyId;
    }

    public HttpClient Client { get; }

    public Guid TenantId { get; }

    public Guid KeyId { get; }

    public List<Guid> ResultIds { get; } = [];

    public List<Guid> JobIds { get; } = [];

    public List<Guid> WebhookSecretIds { get; } = [];

    /// <summary>
    /// A new tenant; from <paramref name="firstImage"/> on (unless negative) it creates a webhook
    /// secret, detects two COCO images synchronously (the first with an Idempotency-Key), reads a
    /// result back, and runs a job of the next two images to its end.
    /// </summary>
    public static async Task<TenantUsage> CreateAsync(ComplianceFactory factory, HttpClient admin, string name, int firstImage)
    {
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        created.EnsureSuccessStatusCode();
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", body.GetProperty("api_key").GetString());
        var usage = new TenantUsage(client, body.GetProperty("id").GetGuid(), body.GetProperty("key_id").GetGuid());
        if (firstImage < 0)
        {
            return usage;
        }

        using (var secret = await client.PostAsync("/v1/webhook-secrets", null))
        {
            Assert.Equal(HttpStatusCode.Created, secret.StatusCode);
            usage.WebhookSecretIds.Add((await secret.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        }

        usage.ResultIds.Add(await DetectAsync(client, CocoFiles[firstImage], idempotencyKey: name + "-first"));
        usage.ResultIds.Add(await DetectAsync(client, CocoFiles[firstImage + 1]));
        using (var read = await client.GetAsync($"/v1/results/{usage.ResultIds[0]}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var accepted = await SubmitAsync(client, Images([
            ("a.jpg", await File.ReadAllBytesAsync(CocoFiles[firstImage + 2])),
            ("b.jpg", await File.ReadAllBytesAsync(CocoFiles[firstImage + 3]))]));
        usage.JobIds.Add(Guid.Parse(accepted.GetProperty("id").GetString()!));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        foreach (var item in (await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items").EnumerateArray())
        {
            usage.ResultIds.Add(Guid.Parse(item.GetProperty("result").GetProperty("id").GetString()!));
        }

        return usage;
    }

    /// <summary>Strings only this tenant's data contains: its id (both spellings), key, job, result and secret ids, and its images' hashes.</summary>
    public async Task<List<string>> NeedlesAsync(ComplianceFactory factory, HttpClient admin)
    {
        var needles = new List<string> { TenantId.ToString(), TenantId.ToString("N") };
        var keys = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{TenantId}/keys");
        needles.AddRange(keys.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("id").GetString()!));
        needles.AddRange(keys.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("prefix").GetString()!));
        needles.AddRange(JobIds.Select(i => i.ToString()));
        needles.AddRange(ResultIds.Select(i => i.ToString()));
        needles.AddRange(WebhookSecretIds.Select(i => i.ToString()));
        var images = await factory.QueryAsync<string>("SELECT sha256 FROM images.blobs WHERE tenant_id = @t", ("t", TenantId));
        Assert.Equal(4, images.Count);
        needles.AddRange(images);
        return needles;
    }

    /// <summary>How many rows of each kind the tenant has, as one comparable string.</summary>
    public async Task<string> FootprintAsync(ComplianceFactory factory)
    {
        using (var admin = factory.Admin())
        {
            // Reading the audit log flushes the instance's pending entries, so the count is settled.
            (await admin.GetAsync("/v1/admin/audit?limit=1")).Dispose();
        }

        var counts = await factory.QueryAsync<string>(
            """
            SELECT concat_ws(' ',
                (SELECT count(*) FROM tenancy.tenants WHERE id = @t), (SELECT count(*) FROM tenancy.api_keys WHERE tenant_id = @t),
                (SELECT count(*) FROM tenancy.plans WHERE tenant_id = @t), (SELECT count(*) FROM tenancy.usage WHERE tenant_id = @t),
                (SELECT count(*) FROM tenancy.idempotency WHERE tenant_id = @t), (SELECT count(*) FROM results.results WHERE tenant_id = @t),
                (SELECT count(*) FROM jobs.jobs WHERE tenant_id = @t), (SELECT count(*) FROM jobs.items i JOIN jobs.jobs j ON j.id = i.job_id WHERE j.tenant_id = @t),
                (SELECT count(*) FROM jobs.webhook_secrets WHERE tenant_id = @t), (SELECT count(*) FROM images.blobs WHERE tenant_id = @t),
                (SELECT count(*) FROM images.tenant_keys WHERE tenant_id = @t), (SELECT count(*) FROM hangfire.job WHERE strpos(arguments::text, @s) > 0),
                (SELECT count(*) FROM audit.entries WHERE tenant_id = @t))
            """, ("t", TenantId), ("s", TenantId.ToString()));
        Assert.DoesNotContain(" 0 0 0 0 0 0 0", counts[0], StringComparison.Ordinal); // a tenant that has data
        return counts[0];
    }

    public void Dispose() => Client.Dispose();

    public static async Task<Guid> DetectAsync(HttpClient client, string path, string? idempotencyKey = null) =>
        Guid.Parse((await JobsTestKit.DetectAsync(client, await File.ReadAllBytesAsync(path), idempotencyKey)).GetProperty("id").GetString()!);
}
