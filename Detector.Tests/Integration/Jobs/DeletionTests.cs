using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>Deletion on request over HTTP: each endpoint removes exactly its object, and another tenant's ids answer 404.</summary>
[Collection("Jobs")]
public sealed class DeletionTests(JobsApiFactory factory) : IClassFixture<JobsApiFactory>
{
    [Fact]
    public async Task Deleting_a_result_removes_exactly_that_result_and_another_tenants_id_answers_404()
    {
        using var owner = await factory.NewTenantAsync("delete-owner");
        using var other = await factory.NewTenantAsync("delete-other");
        var first = await DetectAsync(owner, CocoFiles[10]);
        var second = await DetectAsync(owner, CocoFiles[11]);
        var id = first.GetProperty("id").GetString();

        using (var foreign = await other.DeleteAsync($"/v1/results/{id}"))
        {
            await ProblemAssert.IsProblemAsync(foreign, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        using (var deleted = await owner.DeleteAsync($"/v1/results/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await owner.GetAsync($"/v1/results/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using (var again = await owner.DeleteAsync($"/v1/results/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        using var kept = await owner.GetAsync($"/v1/results/{second.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        var sha = first.GetProperty("image").GetProperty("sha256").GetString();
        Assert.Equal(1L, await factory.CountAsync($"SELECT count(*) FROM images.blobs WHERE sha256 = '{sha}' AND @jobId IS NOT NULL", Guid.Empty)); // the image stays
    }

    [Fact]
    public async Task Deleting_an_image_removes_exactly_that_image_and_another_tenants_or_a_malformed_address_answers_404()
    {
        using var owner = await factory.NewTenantAsync("delete-image-owner");
        using var other = await factory.NewTenantAsync("delete-image-other");
        var mine = await DetectAsync(owner, CocoFiles[12]);
        var theirs = await DetectAsync(other, CocoFiles[12]); // the same photo: a blob of each tenant
        var sha = mine.GetProperty("image").GetProperty("sha256").GetString();
        Assert.Equal(sha, theirs.GetProperty("image").GetProperty("sha256").GetString());

        using (var malformed = await owner.DeleteAsync("/v1/images/not-an-address"))
        {
            await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        using (var deleted = await owner.DeleteAsync($"/v1/images/{sha}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var again = await owner.DeleteAsync($"/v1/images/{sha}"))
        {
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        // The other tenant's copy of the same photo, and the owner's result, stay.
        Assert.Equal(1L, await factory.CountAsync($"SELECT count(*) FROM images.blobs WHERE sha256 = '{sha}' AND @jobId IS NOT NULL", Guid.Empty));
        using var result = await owner.GetAsync($"/v1/results/{mine.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
    }

    [Fact]
    public async Task Erasing_a_finished_job_removes_its_items_results_and_images_but_not_a_photo_another_job_holds()
    {
        using var owner = await factory.NewTenantAsync("erase-owner");
        using var other = await factory.NewTenantAsync("erase-other");
        var shared = await File.ReadAllBytesAsync(CocoFiles[13]);
        var keeper = await SubmitAsync(owner, Images([("shared.jpg", shared)]));
        var erased = await SubmitAsync(owner, Images([("shared.jpg", shared), ("own.jpg", await File.ReadAllBytesAsync(CocoFiles[14]))]));
        foreach (var job in new[] { keeper, erased })
        {
            await WaitForTerminalAsync(owner, job.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        }

        var jobId = Guid.Parse(erased.GetProperty("id").GetString()!);
        var resultIds = await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND result_id IS NOT NULL", jobId);
        Assert.Equal(2L, resultIds);
        var tenantBlobs = "SELECT count(*) FROM images.blobs WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)";
        Assert.Equal(2L, await factory.CountAsync(tenantBlobs, jobId));
        var ownerTenant = await factory.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", jobId);
        Assert.Equal(3L, ownerTenant);

        using (var foreign = await other.PostAsync($"/v1/jobs/{jobId}/erase", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        using var response = await owner.PostAsync($"/v1/jobs/{jobId}/erase", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var receipt = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, receipt.GetProperty("items").GetInt32());
        Assert.Equal(2, receipt.GetProperty("results").GetInt32());
        Assert.Equal(1, receipt.GetProperty("images").GetInt32());
        Assert.Equal(1, receipt.GetProperty("images_kept").GetInt32());

        Assert.Equal(0L, await factory.CountAsync("SELECT count(*) FROM jobs.jobs WHERE id = @jobId", jobId));
        Assert.Equal(0L, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId", jobId));
        var keeperId = Guid.Parse(keeper.GetProperty("id").GetString()!);
        Assert.Equal(1L, await factory.CountAsync(tenantBlobs, keeperId)); // the photo the other job holds
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", keeperId));
        using var again = await owner.PostAsync($"/v1/jobs/{jobId}/erase", null);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task A_job_not_finished_is_not_erased_and_answers_409()
    {
        var (tenantId, jobId) = await factory.CreateUndispatchedJobAsync(1);
        using var admin = factory.Admin();
        using var created = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "erase" });
        created.EnsureSuccessStatusCode();
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString());

        using var response = await client.PostAsync($"/v1/jobs/{jobId}/erase", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, ErrorCodes.JobNotFinished);
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId", jobId));
    }

    private static async Task<JsonElement> DetectAsync(HttpClient client, string path) =>
        await JobsTestKit.DetectAsync(client, await File.ReadAllBytesAsync(path));
}
