using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Compliance.ApplyRetention;
using Detector.Tests.Integration.Compliance;
using Microsoft.Extensions.DependencyInjection;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// What is deleted stays deleted: deleting a result, erasing a job, or retention forgets the
/// Idempotency-Key records whose answer names it, so the same request with the same key runs as
/// a new request instead of replaying the deleted thing.
/// </summary>
[Collection("Jobs")]
public sealed class IdempotencyAfterDeletionTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    [Fact]
    public async Task A_deleted_result_is_not_replayed_by_its_idempotency_key()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "forget-on-delete", firstImage: -1);
        var image = await File.ReadAllBytesAsync(CocoFiles[30]);
        var first = await DetectAsync(tenant.Client, image, "delete-key");

        using (var deleted = await tenant.Client.DeleteAsync($"/v1/results/{first}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var again = await DetectAsync(tenant.Client, image, "delete-key");
        Assert.NotEqual(first, again);
        await AssertFoundAsync(tenant.Client, $"/v1/results/{again}");
    }

    [Fact]
    public async Task An_erased_job_is_not_replayed_by_its_idempotency_key()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "forget-on-erase", firstImage: -1);
        var image = await File.ReadAllBytesAsync(CocoFiles[29]);
        var first = await SubmitJobAsync(tenant.Client, image, "erase-key");
        await WaitForTerminalAsync(tenant.Client, $"/v1/jobs/{first}", TimeSpan.FromMinutes(2));

        using (var erased = await tenant.Client.PostAsync($"/v1/jobs/{first}/erase", null))
        {
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        }

        var again = await SubmitJobAsync(tenant.Client, image, "erase-key");
        Assert.NotEqual(first, again);
        await AssertFoundAsync(tenant.Client, $"/v1/jobs/{again}");
    }

    [Fact]
    public async Task Results_and_jobs_removed_by_retention_are_not_replayed_by_their_idempotency_keys()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "forget-on-retention", firstImage: -1);
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant.TenantId}/plan", new { retention_days = 1 }))
        {
            plan.EnsureSuccessStatusCode();
        }

        var image = await File.ReadAllBytesAsync(CocoFiles[28]);
        var result = await DetectAsync(tenant.Client, image, "retention-detect-key");
        var job = await SubmitJobAsync(tenant.Client, image, "retention-job-key");
        await WaitForTerminalAsync(tenant.Client, $"/v1/jobs/{job}", TimeSpan.FromMinutes(2));

        // Two days on (the service's clock; the idempotency records' own day is the database's, not moved).
        factory.Clock.Offset = TimeSpan.FromDays(2);
        try
        {
            var summary = await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
            Assert.True(summary.Results >= 2 && summary.Jobs >= 1, summary.ToString());
            using (var gone = await tenant.Client.GetAsync($"/v1/results/{result}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            }

            var againResult = await DetectAsync(tenant.Client, image, "retention-detect-key");
            var againJob = await SubmitJobAsync(tenant.Client, image, "retention-job-key");
            Assert.NotEqual(result, againResult);
            Assert.NotEqual(job, againJob);
            await AssertFoundAsync(tenant.Client, $"/v1/results/{againResult}");
            await AssertFoundAsync(tenant.Client, $"/v1/jobs/{againJob}");
        }
        finally
        {
            factory.Clock.Offset = TimeSpan.Zero;
        }
    }

    /// <summary>A sync detection with the key that must run (200, not a replay); a 503 under load is retried.</summary>
    private static async Task<Guid> DetectAsync(HttpClient client, byte[] image, string key)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Detector.Tests.Integration.DetectorApiFactory.ImageForm(image) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 20)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            return await RanAsync(response, HttpStatusCode.OK);
        }
    }

    private static async Task<Guid> SubmitJobAsync(HttpClient client, byte[] image, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = Images([("photo.jpg", image)]) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        return await RanAsync(response, HttpStatusCode.Accepted);
    }

    /// <summary>The id in an answer that ran anew, not one replayed.</summary>
    private static async Task<Guid> RanAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        Assert.False(response.Headers.Contains("Idempotent-Replayed"), $"replayed: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task AssertFoundAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
