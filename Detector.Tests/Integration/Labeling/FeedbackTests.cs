using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Integration.Labeling;

/// <summary>Feedback on served results: the tenant's own only, validated with stable codes, stored with what served it, queued only where the image is kept.</summary>
[Collection("Jobs")]
public sealed class FeedbackTests(LabelingFactory factory) : IClassFixture<LabelingFactory>
{
    [Fact]
    public async Task Feedback_is_stored_with_the_model_that_served_the_result_and_listed_and_bad_feedback_gets_a_400_with_a_stable_code()
    {
        var (tenant, _) = await factory.TenantAsync("feedback-owner");
        var result = await JobsTestKit.DetectAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[7]));
        var url = $"/v1/results/{result.GetProperty("id").GetString()}/feedback";
        var detections = result.GetProperty("detections").GetArrayLength();
        Assert.True(detections > 0, "the photo needs a detection to remove");

        using (var added = await tenant.PostAsJsonAsync(url, new { kind = "box_added", box = new { x = 1.0, y = 2.0, width = 30.0, height = 40.0 }, label = "dog" }))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            var body = await added.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(result.GetProperty("model").GetProperty("name").GetString(), body.GetProperty("model").GetString());
            Assert.Equal(result.GetProperty("model").GetProperty("version").GetString(), body.GetProperty("model_version").GetString());
            Assert.Equal(result.GetProperty("image").GetProperty("sha256").GetString(), body.GetProperty("image_sha256").GetString());
            Assert.True(body.GetProperty("queued").GetBoolean());
        }

        using (var removed = await tenant.PostAsJsonAsync(url, new { kind = "box_removed", detection_index = detections - 1 }))
        {
            Assert.Equal(HttpStatusCode.Created, removed.StatusCode);
        }

        var listed = await tenant.GetFromJsonAsync<JsonElement>(url);
        Assert.Equal(["box_added", "box_removed"], listed.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("kind").GetString()));

        (object Body, string Code)[] bad =
        [
            (new { kind = "looks_odd" }, "validation_failed"),
            (new { kind = "box_removed" }, "validation_failed"),
            (new { kind = "box_added", label = "dog" }, "validation_failed"),
            (new { kind = "result_wrong", note = new string('x', 1001) }, "validation_failed"),
            (new { kind = "box_removed", detection_index = detections }, "feedback_detection_not_found"),
            (new { kind = "label_changed", detection_index = 0, label = "unicorn" }, "unknown_label"),
            (new { kind = "box_added", label = "dog", box = new { x = 0.0, y = 0.0, width = 100_000.0, height = 10.0 } }, "box_out_of_bounds"),
        ];
        foreach (var (body, code) in bad)
        {
            using var response = await tenant.PostAsJsonAsync(url, body);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, code);
        }

        Assert.Equal(2, (await tenant.GetFromJsonAsync<JsonElement>(url)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Feedback_on_a_result_of_another_tenant_or_an_unknown_one_is_not_found()
    {
        var (owner, _) = await factory.TenantAsync("feedback-a");
        var (other, _) = await factory.TenantAsync("feedback-b");
        var result = await JobsTestKit.DetectAsync(owner, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[8]));

        foreach (var id in new[] { result.GetProperty("id").GetString(), Guid.NewGuid().ToString() })
        {
            using var post = await other.PostAsJsonAsync($"/v1/results/{id}/feedback", new { kind = "result_wrong" });
            await ProblemAssert.IsProblemAsync(post, HttpStatusCode.NotFound, "not_found");
            using var list = await other.GetAsync($"/v1/results/{id}/feedback");
            await ProblemAssert.IsProblemAsync(list, HttpStatusCode.NotFound, "not_found");
        }
    }

    [Fact]
    public async Task Feedback_on_a_result_whose_plan_keeps_no_images_is_kept_as_a_signal_only()
    {
        var (tenant, tenantId) = await factory.TenantAsync("feedback-no-images");
        using (var admin = factory.Admin())
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { store_images = false }))
        {
            plan.EnsureSuccessStatusCode();
        }

        var result = await StoredImages.DetectAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[9]));
        using var response = await tenant.PostAsJsonAsync($"/v1/results/{result.GetProperty("id").GetString()}/feedback", new { kind = "result_wrong" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.GetProperty("queued").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("image_sha256").ValueKind);
    }
}
