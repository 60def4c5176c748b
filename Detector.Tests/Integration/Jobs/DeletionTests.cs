using System.Net;
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

    private static async Task<JsonElement> DetectAsync(HttpClient client, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await client.PostAsync("/v1/detect", Integration.DetectorApiFactory.ImageForm(await File.ReadAllBytesAsync(path)));
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 10)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }
}
