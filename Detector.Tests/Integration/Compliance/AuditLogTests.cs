using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Detector.Tests.Integration.Compliance;

/// <summary>The audit log over HTTP: who did what, to what, from where; tamper-evident and append-only.</summary>
[Collection("Jobs")]
public sealed class AuditLogTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    [Fact]
    public async Task Reads_of_results_key_changes_and_dashboard_access_are_recorded_with_who_what_and_where()
    {
        using var admin = factory.Admin();
        using var owner = await TenantUsage.CreateAsync(factory, admin, "audit-owner", firstImage: -1);
        using var other = await TenantUsage.CreateAsync(factory, admin, "audit-other", firstImage: -1);
        // As answered, without waiting for its image (that wait reads the result, and reads are what is counted below).
        var result = (await StoredImages.DetectAsync(owner.Client, await File.ReadAllBytesAsync(Jobs.JobsTestKit.CocoFiles[6]))).GetProperty("id").GetGuid();
        using (var spoofed = new HttpRequestMessage(HttpMethod.Get, $"/v1/results/{result}"))
        {
            // No proxy is trusted by default: a client cannot choose the address the log records.
            spoofed.Headers.Add("X-Forwarded-For", "198.51.100.9");
            (await owner.Client.SendAsync(spoofed)).Dispose();
        }

        (await other.Client.GetAsync($"/v1/results/{result}")).Dispose(); // someone else's id: 404, recorded
        (await admin.DeleteAsync($"/v1/admin/tenants/{owner.TenantId}/keys/{owner.KeyId}")).Dispose();
        (await admin.GetAsync("/hangfire")).Dispose();

        var reads = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit?action=result.read&target={result}")).GetProperty("items");
        Assert.Equal(2, reads.GetArrayLength());
        var foreign = reads[0];
        Assert.Equal(other.TenantId, foreign.GetProperty("tenant_id").GetGuid());
        Assert.Equal(404, foreign.GetProperty("status").GetInt32());
        var read = reads[1];
        Assert.Equal(owner.TenantId, read.GetProperty("tenant_id").GetGuid());
        Assert.Equal($"key:{owner.KeyId}", read.GetProperty("actor").GetString());
        Assert.Equal(200, read.GetProperty("status").GetInt32());
        Assert.Equal("127.0.0.1", read.GetProperty("remote_addr").GetString());
        Assert.Equal(64, read.GetProperty("hash").GetString()!.Length);

        var revoke = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit?tenant_id={owner.TenantId}&action=key.revoke")).GetProperty("items")[0];
        Assert.Equal("admin", revoke.GetProperty("actor").GetString());
        Assert.Equal(owner.KeyId.ToString(), revoke.GetProperty("target").GetString());
        var created = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit?tenant_id={owner.TenantId}&action=tenant.create")).GetProperty("items");
        Assert.Equal(1, created.GetArrayLength());
        var detect = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit?tenant_id={owner.TenantId}&action=result.create")).GetProperty("items");
        Assert.Equal(200, Assert.Single(detect.EnumerateArray()).GetProperty("status").GetInt32()); // a 503 while the model loaded is shedding, not recorded
        var dashboard = (await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit?action=dashboard.access")).GetProperty("items")[0];
        Assert.Equal("/hangfire", dashboard.GetProperty("target").GetString());

        // Paging: newest first, each page older than the last, no entry twice.
        var seen = new HashSet<long>();
        string? cursor = null;
        long previous = long.MaxValue;
        for (var page = 0; page < 3; page++)
        {
            var body = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            foreach (var entry in body.GetProperty("items").EnumerateArray())
            {
                var seq = entry.GetProperty("seq").GetInt64();
                Assert.True(seq < previous);
                Assert.True(seen.Add(seq));
                previous = seq;
            }

            cursor = body.GetProperty("next_cursor").GetString();
            Assert.NotNull(cursor);
        }

        using var badCursor = await admin.GetAsync("/v1/admin/audit?cursor=abc");
        await ProblemAssert.IsProblemAsync(badCursor, HttpStatusCode.BadRequest, Detector.Modules.Common.ErrorCodes.ValidationFailed);
        using var tenantLooks = await other.Client.GetAsync("/v1/admin/audit");
        Assert.Equal(HttpStatusCode.Forbidden, tenantLooks.StatusCode);
    }

    [Fact]
    public async Task Verification_detects_a_changed_and_a_deleted_entry_and_the_log_refuses_changes_while_its_guard_is_on()
    {
        using var admin = factory.Admin();
        for (var i = 0; i < 4; i++)
        {
            using var tenant = await TenantUsage.CreateAsync(factory, admin, "audit-chain-" + i, firstImage: -1);
        }

        var valid = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.True(valid.GetProperty("valid").GetBoolean(), valid.ToString());
        var head = valid.GetProperty("head_seq").GetInt64();
        Assert.True(head >= 4);

        // Append-only: an update, a delete and a truncate are refused.
        foreach (var sql in new[] { $"UPDATE audit.entries SET status = 500 WHERE seq = {head}", $"DELETE FROM audit.entries WHERE seq = {head}", "TRUNCATE audit.entries" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => factory.ExecuteAsync(sql));
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        }

        // Its owner can switch the guard off; the chain still shows what was done.
        var changed = head - 2;
        await factory.ExecuteAsync("ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only");
        await factory.ExecuteAsync($"UPDATE audit.entries SET action = 'tenant.read' WHERE seq = {changed}");
        var afterChange = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.False(afterChange.GetProperty("valid").GetBoolean());
        Assert.Equal(changed, afterChange.GetProperty("problems")[0].GetProperty("seq").GetInt64());
        Assert.Equal("entry_changed", afterChange.GetProperty("problems")[0].GetProperty("problem").GetString());

        await factory.ExecuteAsync($"UPDATE audit.entries SET action = 'tenant.create' WHERE seq = {changed}");
        await factory.ExecuteAsync($"UPDATE audit.entries SET remote_addr = '10.9.8.7' WHERE seq = {changed}");
        var afterSubject = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.Equal("subject_changed", afterSubject.GetProperty("problems")[0].GetProperty("problem").GetString());
        await factory.ExecuteAsync($"UPDATE audit.entries SET remote_addr = '127.0.0.1' WHERE seq = {changed}");
        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify")).GetProperty("valid").GetBoolean());

        var deleted = head - 1;
        await factory.ExecuteAsync($"DELETE FROM audit.entries WHERE seq = {deleted}");
        var afterDelete = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.False(afterDelete.GetProperty("valid").GetBoolean());
        Assert.Equal(deleted + 1, afterDelete.GetProperty("problems")[0].GetProperty("seq").GetInt64());
        Assert.Equal("missing_entries", afterDelete.GetProperty("problems")[0].GetProperty("problem").GetString());
        await factory.ExecuteAsync("ALTER TABLE audit.entries ENABLE TRIGGER entries_append_only");
    }
}
