using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.ApplyRetention;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Labeling.Sampling;
using Detector.Modules.Rollouts.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Compliance;

/// <summary>
/// An admin erases a whole tenant: afterwards no row of any table of any schema (Hangfire's
/// included) and nothing in the image store names it or holds its data, the other tenant's data
/// is whole, and the receipt says what went.
/// </summary>
[Collection("Jobs")]
public sealed class TenantErasureTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    [Fact]
    public async Task Erasing_a_tenant_leaves_no_trace_of_it_in_any_table_or_the_image_store_and_keeps_the_other_tenant_whole()
    {
        using var admin = factory.Admin();
        var a = await TenantUsage.CreateAsync(factory, admin, "erase-a", firstImage: 20);
        var b = await TenantUsage.CreateAsync(factory, admin, "erase-b", firstImage: 24);

        // A rotated key, so the tenant has two.
        using (var rotated = await admin.PostAsJsonAsync($"/v1/admin/tenants/{a.TenantId}/keys/{a.KeyId}/rotate", new { grace_seconds = 60 }))
        {
            rotated.EnsureSuccessStatusCode();
        }

        // Labeling: feedback on a result, the item the sampler makes of it, a grant to a labeler, a recorded shadow disagreement.
        await LabelingDataAsync(admin, a);

        var needles = await a.NeedlesAsync(factory, admin);
        var hangfireJobs = await factory.QueryAsync<long>("SELECT id FROM hangfire.job WHERE strpos(arguments::text, @t) > 0", ("t", a.TenantId.ToString()));
        Assert.NotEmpty(hangfireJobs);
        // The scan finds the tenant before the erase: it can fail.
        var before = await factory.ScanAllTablesAsync(needles);
        foreach (var table in new[] { "tenancy.tenants", "tenancy.api_keys", "tenancy.plans", "tenancy.usage", "tenancy.idempotency", "results.results", "jobs.jobs", "jobs.items", "jobs.webhook_secrets", "images.blobs", "images.tenant_keys", "hangfire.job", "audit.entries", "labeling.feedback", "labeling.items", "labeling.grants", "labeling.disagreements" })
        {
            Assert.Contains(before, h => h.StartsWith(table + ":", StringComparison.Ordinal));
        }

        var otherBefore = await b.FootprintAsync(factory);
        // /metrics labels the tenant's series by its opaque id, never its id; both must go with it.
        var metricsId = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{a.TenantId}")).GetProperty("metrics_id").GetString()!;
        Assert.Contains(metricsId, await a.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);

        using var response = await admin.PostAsync($"/v1/admin/tenants/{a.TenantId}/erase", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var receipt = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(a.TenantId, receipt.GetProperty("tenant_id").GetGuid());
        Assert.StartsWith("admin", receipt.GetProperty("erased_by").GetString(), StringComparison.Ordinal);
        Assert.True(receipt.GetProperty("erased_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var removed = receipt.GetProperty("removed");
        Assert.Equal(1, removed.GetProperty("tenancy.tenants").GetInt64());
        Assert.Equal(1, removed.GetProperty("tenancy.plans").GetInt64());
        Assert.Equal(2, removed.GetProperty("tenancy.api_keys").GetInt64());
        Assert.True(removed.GetProperty("tenancy.usage").GetInt64() >= 2);
        Assert.Equal(1, removed.GetProperty("tenancy.idempotency").GetInt64());
        Assert.Equal(1, removed.GetProperty("jobs.jobs").GetInt64());
        Assert.Equal(2, removed.GetProperty("jobs.items").GetInt64());
        Assert.Equal(1, removed.GetProperty("jobs.webhook_secrets").GetInt64());
        Assert.Equal(hangfireJobs.Count, removed.GetProperty("hangfire.jobs").GetInt64());
        Assert.Equal(4, removed.GetProperty("results.results").GetInt64());
        Assert.Equal(4, removed.GetProperty("images.blobs").GetInt64());
        Assert.Equal(1, removed.GetProperty("images.tenant_keys").GetInt64());
        Assert.True(removed.GetProperty("audit.entries_redacted").GetInt64() >= 5);
        Assert.Equal(1, removed.GetProperty("labeling.feedback").GetInt64());
        Assert.Equal(1, removed.GetProperty("labeling.items").GetInt64());
        Assert.Equal(1, removed.GetProperty("labeling.grants").GetInt64());
        Assert.Equal(1, removed.GetProperty("labeling.disagreements").GetInt64());

        var after = await factory.ScanAllTablesAsync(needles);
        Assert.True(after.Count == 0, "Traces of the erased tenant:" + Environment.NewLine + string.Join(Environment.NewLine, after));
        using (var scraper = factory.CreateClient())
        {
            var scrape = await scraper.GetStringAsync("/metrics");
            Assert.All(needles.Append(metricsId), needle => Assert.DoesNotContain(needle, scrape, StringComparison.OrdinalIgnoreCase));
        }
        foreach (var table in new[] { "job", "state", "jobparameter", "jobqueue" })
        {
            var column = table == "job" ? "id" : "jobid";
            Assert.Empty(await factory.QueryAsync<long>($"SELECT {column} FROM hangfire.{table} WHERE {column} = ANY(@ids)", ("ids", hangfireJobs.ToArray())));
        }

        using (var key = await a.Client.GetAsync("/v1/results"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, key.StatusCode);
        }

        using (var again = await admin.PostAsync($"/v1/admin/tenants/{a.TenantId}/erase", null))
        {
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        // The other tenant: every row and image as before, its key and results still served.
        Assert.Equal(otherBefore, await b.FootprintAsync(factory));
        using (var result = await b.Client.GetAsync($"/v1/results/{b.ResultIds[0]}"))
        {
            Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        }

        // The erase is in the audit log under its receipt, without the tenant; the chain still verifies after the redaction.
        var erase = (await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit?action=tenant.erase")).GetProperty("items")[0];
        Assert.Equal("receipt:" + receipt.GetProperty("receipt_id").GetString(), erase.GetProperty("target").GetString());
        Assert.Equal(JsonValueKind.Null, erase.GetProperty("tenant_id").ValueKind);
        var verify = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        Assert.True(receipt.GetProperty("audited").GetBoolean());

        // Work in flight during the erase writes after it (a result, an audit entry): retention's
        // sweep finds data of a tenant the directory no longer has, and erases it. An image is no
        // longer among them: a put for an erased tenant is refused (issue 20), on every instance.
        var late = await File.ReadAllBytesAsync(Jobs.JobsTestKit.CocoFiles[28]);
        var refused = await Assert.ThrowsAsync<DomainException>(() => factory.Services.GetRequiredService<IImageStore>().PutAsync(a.TenantId, late, CancellationToken.None));
        Assert.Equal(ErrorCodes.TenantDisabled, refused.Code);
        var stored = factory.Services.GetRequiredService<IImageStore>().Describe(late);
        await factory.ExecuteAsync(
            $"INSERT INTO results.results (id, tenant_id, created_at, model_name, model_version, image_sha256, image_width, image_height, document) VALUES ('{Guid.NewGuid()}', '{a.TenantId}', now(), 'm', 'v', '{stored.Sha256}', 1, 1, '{{}}')");
        await factory.Services.GetRequiredService<IAuditTrail>().RecordAsync(new AuditEvent("result.read", a.TenantId, Target: "late"), CancellationToken.None);
        Assert.NotEmpty(await factory.ScanAllTablesAsync(needles));
        var otherBeforeSweep = await b.FootprintAsync(factory);

        var sweep = await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);

        Assert.Equal(1, sweep.OrphansErased);
        var afterSweep = await factory.ScanAllTablesAsync(needles);
        Assert.True(afterSweep.Count == 0, "Traces after the sweep:" + Environment.NewLine + string.Join(Environment.NewLine, afterSweep));
        Assert.Equal(otherBeforeSweep, await b.FootprintAsync(factory));
        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify")).GetProperty("valid").GetBoolean());
    }

    private async Task LabelingDataAsync(HttpClient admin, TenantUsage a)
    {
        var resultId = a.ResultIds[0];
        using (var feedback = await a.Client.PostAsJsonAsync($"/v1/results/{resultId}/feedback", new { kind = "result_wrong" }))
        {
            Assert.Equal(HttpStatusCode.Created, feedback.StatusCode);
            Assert.True((await feedback.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queued").GetBoolean());
        }

        var round = factory.Services.GetRequiredService<SamplerRound>();
        for (var i = 0; await factory.CountAsync("SELECT count(*) FROM labeling.items WHERE result_id = @jobId", resultId) == 0; i++)
        {
            Assert.True(i < 50, "The sampler enqueued no item for the feedback.");
            await round.RunAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        }

        using (var labeler = await admin.PostAsJsonAsync("/v1/admin/labelers", new { name = "erase-labeler", role = "labeler" }))
        {
            var id = (await labeler.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            using var grant = await a.Client.PutAsync($"/v1/labeling/grants/{id}", null);
            Assert.Equal(HttpStatusCode.NoContent, grant.StatusCode);
        }

        var sha256 = (await a.Client.GetFromJsonAsync<JsonElement>($"/v1/results/{resultId}")).GetProperty("image").GetProperty("sha256").GetString()!;
        await factory.Services.GetRequiredService<IShadowDisagreements>().RecordAsync(
            new ShadowDisagreement(a.TenantId, "m", "1", "2", sha256, 0.1, DateTimeOffset.UtcNow), CancellationToken.None);
    }

    [Fact]
    public async Task Erasing_an_unknown_tenant_answers_404_and_a_tenant_key_may_not_erase()
    {
        using var admin = factory.Admin();
        using (var unknown = await admin.PostAsync($"/v1/admin/tenants/{Guid.NewGuid()}/erase", null))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        var tenant = await TenantUsage.CreateAsync(factory, admin, "erase-self", firstImage: -1);
        using var self = await tenant.Client.PostAsync($"/v1/admin/tenants/{tenant.TenantId}/erase", null);
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM tenancy.tenants WHERE id = @jobId", tenant.TenantId));
    }
}
