using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Labeling.Contracts;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Labeling;

/// <summary>
/// The data loop's human half end to end over real HTTP: a tenant whose plan stores images detects
/// a COCO photo and says the result is wrong, the sampler enqueues it, two granted labelers label
/// it, a dispute goes to a reviewer, and the final boxes come out of IReviewedLabels.
/// </summary>
[Collection("Jobs")]
public sealed class LabelingFlowTests(LabelingFactory factory) : IClassFixture<LabelingFactory>
{
    private static readonly TimeSpan SamplerWait = TimeSpan.FromSeconds(60);

    private async Task<(HttpClient Tenant, Guid TenantId, JsonElement Result)> TenantWithFeedbackAsync(string name, int photo)
    {
        var (tenant, tenantId) = await factory.TenantAsync(name);
        var result = await JobsTestKit.DetectAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[photo]));
        Assert.Equal("stored", result.GetProperty("image").GetProperty("storage").GetString());
        using var feedback = await tenant.PostAsJsonAsync($"/v1/results/{result.GetProperty("id").GetString()}/feedback", new { kind = "result_wrong", note = "missed the dog" });
        Assert.Equal(HttpStatusCode.Created, feedback.StatusCode);
        Assert.True((await feedback.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queued").GetBoolean());
        return (tenant, tenantId, result);
    }

    private static async Task GrantAsync(HttpClient tenant, params Guid[] labelers)
    {
        foreach (var labeler in labelers)
        {
            using var granted = await tenant.PutAsync($"/v1/labeling/grants/{labeler}", null);
            Assert.Equal(HttpStatusCode.NoContent, granted.StatusCode);
        }
    }

    private static async Task<JsonElement> LabelAsync(HttpClient labeler, Guid item, object[] boxes)
    {
        using var response = await labeler.PostAsJsonAsync($"/v1/labeling/items/{item}/labels", new { boxes });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<JsonElement> StatsAsync(Guid labeler)
    {
        using var admin = factory.Admin();
        var list = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/labelers");
        return list.GetProperty("items").EnumerateArray().Single(l => l.GetProperty("id").GetGuid() == labeler);
    }

    [Fact]
    public async Task Two_labelers_who_disagree_send_the_item_to_a_reviewer_whose_boxes_become_final_and_only_granted_labelers_see_it()
    {
        var (tenant, tenantId, result) = await TenantWithFeedbackAsync("labeling-dispute", 3);
        var (first, firstId) = await factory.LabelerAsync("ann");
        var (second, secondId) = await factory.LabelerAsync("bob");
        var (reviewer, reviewerId) = await factory.LabelerAsync("rita", "reviewer");
        var (stranger, _) = await factory.LabelerAsync("sam");
        await GrantAsync(tenant, firstId, secondId, reviewerId);

        var item = await LabelingFactory.NextItemAsync(first, SamplerWait);
        var itemId = item.GetProperty("id").GetGuid();
        Assert.Equal(result.GetProperty("image").GetProperty("width").GetInt32(), item.GetProperty("width").GetInt32());
        Assert.Equal(result.GetProperty("detections").GetArrayLength(), item.GetProperty("suggestions").GetArrayLength());

        // A labeler without a grant gets nothing, and neither the item nor its image.
        using (var none = await stranger.PostAsync("/v1/labeling/next", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        }

        using (var image = await stranger.GetAsync(item.GetProperty("image_url").GetString()))
        {
            await ProblemAssert.IsProblemAsync(image, HttpStatusCode.NotFound, "not_found");
        }

        using (var labels = await stranger.PostAsJsonAsync($"/v1/labeling/items/{itemId}/labels", new { boxes = Array.Empty<object>() }))
        {
            await ProblemAssert.IsProblemAsync(labels, HttpStatusCode.NotFound, "not_found");
        }

        // A tenant key is not a labeler key, and a labeler may not review.
        using (var tenantAsLabeler = await tenant.PostAsync("/v1/labeling/next", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, tenantAsLabeler.StatusCode);
        }

        using (var notReviewer = await first.PostAsync("/v1/labeling/reviews/next", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, notReviewer.StatusCode);
        }

        // The assigned labeler gets the stored photo: the bytes the result names.
        var photo = await first.GetByteArrayAsync(item.GetProperty("image_url").GetString());
        Assert.Equal(result.GetProperty("image").GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(photo)));

        Assert.Equal(itemId, (await LabelingFactory.NextItemAsync(second, SamplerWait)).GetProperty("id").GetGuid());
        var dog = new { label = "dog", x = 10.0, y = 20.0, width = 100.0, height = 80.0 };
        Assert.Equal("open", (await LabelAsync(first, itemId, [dog])).GetProperty("state").GetString());
        using (var again = await first.PostAsync("/v1/labeling/next", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode); // it labeled the only item
        }

        Assert.Equal("disputed", (await LabelAsync(second, itemId, [])).GetProperty("state").GetString());

        using (var next = await reviewer.PostAsync("/v1/labeling/reviews/next", null))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            var review = await next.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(itemId, review.GetProperty("id").GetGuid());
            Assert.Equal(2, review.GetProperty("label_sets").GetArrayLength());
        }

        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync(item.GetProperty("image_url").GetString())).StatusCode);
        using (var decided = await reviewer.PostAsJsonAsync($"/v1/labeling/items/{itemId}/review", new { boxes = new[] { dog } }))
        {
            Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
            Assert.Equal("final", (await decided.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        var reviewed = (await factory.Services.GetRequiredService<IReviewedLabels>().ListAsync(null, 1000, CancellationToken.None)).Single(r => r.ItemId == itemId);
        Assert.Equal(tenantId, reviewed.TenantId);
        Assert.Equal(result.GetProperty("image").GetProperty("sha256").GetString(), reviewed.ImageSha256);
        Assert.Equal(new ReviewedBox("dog", 10, 20, 100, 80), Assert.Single(reviewed.Boxes));

        // The reviewed labels become a dataset version whose id is its manifest's sha256, the same on every rebuild from scratch.
        await CutIsStableAcrossRebuildsAsync(tenantId, reviewed.ImageSha256);

        var ann = await StatsAsync(firstId);
        Assert.Equal((1, 1, 0, 1, 1), (ann.GetProperty("items_labeled").GetInt32(), ann.GetProperty("compared_with_other").GetInt32(), ann.GetProperty("agreed_with_other").GetInt32(), ann.GetProperty("reviewed").GetInt32(), ann.GetProperty("agreed_with_review").GetInt32()));
        var bob = await StatsAsync(secondId);
        Assert.Equal((1, 0, 0), (bob.GetProperty("items_labeled").GetInt32(), bob.GetProperty("agreed_with_other").GetInt32(), bob.GetProperty("agreed_with_review").GetInt32()));
        Assert.Equal(1, (await StatsAsync(reviewerId)).GetProperty("reviews").GetInt32());
    }

    [Fact]
    public async Task Two_labelers_who_agree_make_the_item_final_with_the_mean_of_their_boxes()
    {
        var (tenant, tenantId, _) = await TenantWithFeedbackAsync("labeling-agree", 5);
        var (first, firstId) = await factory.LabelerAsync("cleo");
        var (second, secondId) = await factory.LabelerAsync("dan");
        await GrantAsync(tenant, firstId, secondId);

        var itemId = (await LabelingFactory.NextItemAsync(first, SamplerWait)).GetProperty("id").GetGuid();
        Assert.Equal(itemId, (await LabelingFactory.NextItemAsync(second, SamplerWait)).GetProperty("id").GetGuid());
        Assert.Equal("open", (await LabelAsync(first, itemId, [new { label = "person", x = 10.0, y = 10.0, width = 100.0, height = 200.0 }])).GetProperty("state").GetString());
        var settled = await LabelAsync(second, itemId, [new { label = "person", x = 20.0, y = 14.0, width = 104.0, height = 196.0 }]);

        Assert.Equal("final", settled.GetProperty("state").GetString());
        var reviewed = (await factory.Services.GetRequiredService<IReviewedLabels>().ListAsync(null, 1000, CancellationToken.None)).Single(r => r.ItemId == itemId);
        Assert.Equal(tenantId, reviewed.TenantId);
        Assert.Equal(new ReviewedBox("person", 15, 12, 102, 198), Assert.Single(reviewed.Boxes));
        Assert.DoesNotContain(await factory.Services.GetRequiredService<IReviewedLabels>().ListAsync(reviewed.FinalAt, 1000, CancellationToken.None), r => r.ItemId == itemId);
        Assert.Equal(1, (await StatsAsync(firstId)).GetProperty("agreed_with_other").GetInt32());
        Assert.Equal(1, (await StatsAsync(secondId)).GetProperty("agreed_with_other").GetInt32());
    }

    [Fact]
    public async Task Deleting_a_result_drops_its_item_that_is_not_final_and_its_feedback()
    {
        var (tenant, _, result) = await TenantWithFeedbackAsync("labeling-delete", 11);
        var resultId = Guid.Parse(result.GetProperty("id").GetString()!);
        var (labeler, labelerId) = await factory.LabelerAsync("eve");
        await GrantAsync(tenant, labelerId);
        var itemId = (await LabelingFactory.NextItemAsync(labeler, SamplerWait)).GetProperty("id").GetGuid();
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM labeling.items WHERE id = @jobId", itemId));

        using (var deleted = await tenant.DeleteAsync($"/v1/results/{resultId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await factory.CountAsync("SELECT count(*) FROM labeling.items WHERE id = @jobId", itemId) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The item of the deleted result is still there.");
            await Task.Delay(100);
        }

        Assert.Equal(0, await factory.CountAsync("SELECT count(*) FROM labeling.feedback WHERE result_id = @jobId", resultId));
        using var image = await labeler.GetAsync(ItemImage(itemId));
        Assert.Equal(HttpStatusCode.NotFound, image.StatusCode);
    }

    private static string ItemImage(Guid itemId) => $"/v1/labeling/items/{itemId}/image";

    /// <summary>
    /// Cuts a version of the tenant's final labels, then deletes its rows and cuts it again, twice:
    /// each rebuild from nothing answers 201 with the same id, and the manifest's bytes hash to it.
    /// </summary>
    private async Task CutIsStableAcrossRebuildsAsync(Guid tenantId, string imageSha256)
    {
        using var admin = factory.Admin();
        string? id = null;
        byte[]? manifest = null;
        for (var build = 0; build < 3; build++)
        {
            using (var cut = await admin.PostAsJsonAsync("/v1/admin/datasets/labeling-loop/versions", new { tenant_ids = new[] { tenantId } }))
            {
                var body = await cut.Content.ReadAsStringAsync();
                Assert.True(cut.StatusCode == HttpStatusCode.Created, body);
                var version = JsonDocument.Parse(body).RootElement;
                Assert.Equal(1, version.GetProperty("images").GetInt32());
                Assert.True(version.GetProperty("complete").GetBoolean());
                Assert.Equal(id ?? version.GetProperty("id").GetString(), version.GetProperty("id").GetString());
                id = version.GetProperty("id").GetString()!;
            }

            var bytes = await admin.GetByteArrayAsync($"/v1/admin/datasets/versions/{id}/manifest");
            Assert.Equal(id, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Contains(imageSha256, System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            Assert.Equal(manifest ?? bytes, bytes);
            manifest = bytes;

            // From scratch: nothing of the version is left for the next cut to find.
            await using var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString);
            await connection.OpenAsync();
            await using var delete = new Npgsql.NpgsqlCommand(
                "DELETE FROM datasets.entries WHERE version_id = @id; DELETE FROM datasets.versions WHERE id = @id; DELETE FROM datasets.datasets WHERE name = 'labeling-loop'", connection);
            delete.Parameters.AddWithValue("id", id);
            await delete.ExecuteNonQueryAsync();
        }
    }
}
