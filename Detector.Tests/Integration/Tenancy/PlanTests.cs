using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>Plans through the admin API; a plan change holds on every instance at once.</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class PlanTests(TwoInstances instances)
{
    private static readonly byte[] Dog = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    [Fact]
    public async Task A_new_tenant_is_on_the_configured_default_plan()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("default-plan");
        using var admin = instances.A.Admin();

        var tenant = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{tenantId}");
        var plan = tenant.GetProperty("plan");
        Assert.Equal("standard", plan.GetProperty("name").GetString());
        Assert.Equal(20, plan.GetProperty("requests_per_second").GetDouble());
        Assert.Equal(40, plan.GetProperty("burst").GetInt32());
        Assert.Equal(["normal", "low"], plan.GetProperty("allowed_priorities").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("active", tenant.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Job_priority_and_size_follow_the_plan_and_a_change_holds_on_every_instance_at_once()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("plan-change");
        using var onB = instances.B.Client(key);
        await ProblemAssert.IsProblemAsync(await SubmitAsync(onB, 1, "?priority=high"), HttpStatusCode.Forbidden, ErrorCodes.PriorityNotAllowed);

        using var admin = instances.A.Admin();
        using (var changed = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { name = "priority", allowed_priorities = new[] { "high", "normal" }, max_images_per_job = 1 }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            var plan = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("plan");
            Assert.Equal("priority", plan.GetProperty("name").GetString());
            Assert.Equal(20, plan.GetProperty("requests_per_second").GetDouble()); // the rest of the plan is kept
        }

        var deadline = DateTime.UtcNow.AddSeconds(2);
        HttpResponseMessage accepted;
        while ((accepted = await SubmitAsync(onB, 1, "?priority=high")).StatusCode != HttpStatusCode.Accepted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still {(int)accepted.StatusCode} on the other instance 2 s after the change");
            await Task.Delay(50);
        }

        await ProblemAssert.IsProblemAsync(await SubmitAsync(onB, 2, ""), HttpStatusCode.RequestEntityTooLarge, ErrorCodes.TooManyImages);
        await ProblemAssert.IsProblemAsync(await SubmitAsync(onB, 1, "?priority=low"), HttpStatusCode.Forbidden, ErrorCodes.PriorityNotAllowed);
    }

    [Fact]
    public async Task An_impossible_plan_or_an_unknown_base_plan_is_refused()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("bad-plan");
        using var admin = instances.A.Admin();

        await ProblemAssert.IsProblemAsync(await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { burst = 0 }), HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await ProblemAssert.IsProblemAsync(await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { allowed_priorities = new[] { "urgent" } }), HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await ProblemAssert.IsProblemAsync(await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { @base = "platinum" }), HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        await ProblemAssert.IsProblemAsync(await admin.PutAsJsonAsync($"/v1/admin/tenants/{Guid.NewGuid()}/plan", new { burst = 5 }), HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    private static Task<HttpResponseMessage> SubmitAsync(HttpClient client, int images, string query) =>
        client.PostAsync("/v1/jobs" + query, Jobs.JobsTestKit.Images(Enumerable.Range(0, images).Select(i => ($"{i}.jpg", Dog))));
}
