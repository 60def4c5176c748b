using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Detector.Modules.Compliance.Audit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.Compliance;

/// <summary>
/// What a redaction leaves (a keyed digest, and a record of itself in the chain) and how a cut-off
/// tail shows (against a head recorded before), over HTTP and with the `audit verify` command.
/// </summary>
[Collection("Jobs")]
public sealed class AuditIntegrityTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    private sealed record Subject(long Seq, string? Actor, Guid? Tenant, string? Target, string? Remote, byte[] Hash);

    /// <summary>A head as verification prints it and takes it back: &lt;seq&gt;:&lt;hash&gt;.</summary>
    internal sealed record Head(long Seq, string Hash)
    {
        public override string ToString() => $"{Seq}:{Hash}";
    }

    [Fact]
    public async Task After_an_erase_the_redacted_entries_keep_only_keyed_digests_and_the_redaction_is_its_own_entry_in_a_chain_that_verifies()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "audit-keyed", firstImage: -1);
        var result = await TenantUsage.DetectAsync(tenant.Client, Jobs.JobsTestKit.CocoFiles[7]);
        (await tenant.Client.GetAsync($"/v1/results/{result}")).Dispose();
        (await admin.GetAsync("/v1/admin/audit?limit=1")).Dispose(); // flushes this instance's entries
        var before = await SubjectsAsync("tenant_id = @t", ("t", tenant.TenantId));
        Assert.True(before.Count >= 3, $"{before.Count} entries about the tenant");
        Assert.Contains(before, s => s.Remote == "127.0.0.1" && s.Actor == $"key:{tenant.KeyId}");

        using (var erase = await admin.PostAsync($"/v1/admin/tenants/{tenant.TenantId}/erase", null))
        {
            Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        }

        var key = Encoding.UTF8.GetBytes(TestSecrets.AuditSubjectKey);
        var seqs = before.Select(s => s.Seq).ToArray();
        var after = await SubjectsAsync("seq = ANY(@seqs)", ("seqs", seqs));
        Assert.Equal(before.Count, after.Count);
        foreach (var (was, now) in before.Zip(after))
        {
            Assert.Equal(was.Seq, now.Seq);
            Assert.True(now.Actor is null && now.Tenant is null && now.Target is null && now.Remote is null, $"seq {now.Seq} redacted");
            // Knowing the whole subject, the unkeyed digest a brute force would compute does not match it: only the key opens it.
            var text = Encoding.UTF8.GetBytes($"{was.Actor}\n{was.Tenant}\n{was.Target}\n{was.Remote}");
            Assert.NotEqual(Convert.ToHexString(SHA256.HashData(text)), Convert.ToHexString(now.Hash));
            Assert.Equal(Convert.ToHexString(HMACSHA256.HashData(key, text)), Convert.ToHexString(now.Hash));
        }

        var redactions = await factory.QueryAsync<long>("SELECT DISTINCT redacted_by FROM audit.entries WHERE seq = ANY(@seqs)", ("seqs", seqs));
        var redaction = Assert.Single(redactions);
        Assert.True(redaction > seqs.Max());
        Assert.Equal("audit.redact", Assert.Single(await factory.QueryAsync<string>("SELECT action FROM audit.entries WHERE seq = @s AND tenant_id IS NULL", ("s", redaction))));
        var detail = JsonDocument.Parse(Assert.Single(await factory.QueryAsync<string>("SELECT detail FROM audit.entries WHERE seq = @s", ("s", redaction)))).RootElement;
        Assert.Equal(seqs.Length, detail.GetProperty("entries").GetInt64());
        Assert.DoesNotContain(tenant.TenantId.ToString(), detail.ToString(), StringComparison.OrdinalIgnoreCase);
        var verify = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());

        // The trigger refuses a redaction no entry records; one made with the guard off shows in the chain.
        using var other = await TenantUsage.CreateAsync(factory, admin, "audit-silent", firstImage: -1);
        (await admin.GetAsync("/v1/admin/audit?limit=1")).Dispose();
        var silent = (await SubjectsAsync("tenant_id = @t", ("t", other.TenantId)))[0];
        const string Clear = "UPDATE audit.entries SET actor = NULL, tenant_id = NULL, target = NULL, remote_addr = NULL, redacted_at = now() WHERE seq = ";
        var refused = await Assert.ThrowsAsync<PostgresException>(() => factory.ExecuteAsync(Clear + silent.Seq));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        await factory.ExecuteAsync("ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only");
        try
        {
            await factory.ExecuteAsync(Clear + silent.Seq);
            var broken = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
            Assert.False(broken.GetProperty("valid").GetBoolean());
            Assert.Equal(silent.Seq, broken.GetProperty("problems")[0].GetProperty("seq").GetInt64());
            Assert.Equal("redaction_unrecorded", broken.GetProperty("problems")[0].GetProperty("problem").GetString());
            await factory.ExecuteAsync(
                $"UPDATE audit.entries SET actor = '{silent.Actor}', tenant_id = '{silent.Tenant}', target = {(silent.Target is null ? "NULL" : $"'{silent.Target}'")}, remote_addr = {(silent.Remote is null ? "NULL" : $"'{silent.Remote}'")}, redacted_at = NULL WHERE seq = {silent.Seq}");
        }
        finally
        {
            await factory.ExecuteAsync("ALTER TABLE audit.entries ENABLE TRIGGER entries_append_only");
        }

        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify")).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task A_cut_off_tail_leaves_a_valid_shorter_chain_that_fails_against_the_head_recorded_before()
    {
        using var admin = factory.Admin();
        using (var seed = await TenantUsage.CreateAsync(factory, admin, "audit-anchor-1", firstImage: -1))
        {
        }

        var earlier = await HeadAsync(admin);
        using (var more = await TenantUsage.CreateAsync(factory, admin, "audit-anchor-2", firstImage: -1))
        {
        }

        var recorded = await HeadAsync(admin);
        Assert.True(recorded.Seq > earlier.Seq + 1);
        await factory.Services.GetRequiredService<AuditWriter>().FlushAsync(); // the verification's own entry too

        // The table's owner cuts everything after the earlier head.
        await factory.ExecuteAsync("ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only");
        try
        {
            await factory.ExecuteAsync($"DELETE FROM audit.entries WHERE seq > {earlier.Seq}");
        }
        finally
        {
            await factory.ExecuteAsync("ALTER TABLE audit.entries ENABLE TRIGGER entries_append_only");
        }

        var plain = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.True(plain.GetProperty("valid").GetBoolean(), "without a recorded head, a shorter chain is a valid chain");

        var against = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit/verify?expect_head={recorded}");
        Assert.False(against.GetProperty("valid").GetBoolean(), against.ToString());
        Assert.Equal("missing", against.GetProperty("expected_head").GetProperty("status").GetString());
        var problem = against.GetProperty("problems")[0];
        Assert.Equal(recorded.Seq, problem.GetProperty("seq").GetInt64());
        Assert.Equal("head_missing", problem.GetProperty("problem").GetString());

        var kept = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit/verify?expect_head={earlier}");
        Assert.True(kept.GetProperty("valid").GetBoolean(), kept.ToString());
        Assert.Equal("matched", kept.GetProperty("expected_head").GetProperty("status").GetString());
        var forged = new Head(earlier.Seq, new string('0', 64));
        var differs = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit/verify?expect_head={forged}");
        Assert.Equal("head_mismatch", differs.GetProperty("problems")[0].GetProperty("problem").GetString());
        using var malformed = await admin.GetAsync("/v1/admin/audit/verify?expect_head=12:xyz");
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, Detector.Modules.Common.ErrorCodes.ValidationFailed);
    }

    [Fact]
    public async Task The_audit_verify_command_exits_0_on_a_good_chain_and_non_zero_on_a_broken_one_or_a_missing_head()
    {
        using var admin = factory.Admin();
        using (var seed = await TenantUsage.CreateAsync(factory, admin, "audit-cli", firstImage: -1))
        {
        }

        await factory.Services.GetRequiredService<AuditWriter>().FlushAsync();
        var good = await VerifyCommandAsync();
        Assert.True(good.ExitCode == 0, good.Output);
        Assert.Contains("audit verify: valid", good.Output, StringComparison.Ordinal);
        var head = await HeadAsync(admin);
        Assert.Contains($"head: {head.Seq}:", good.Output, StringComparison.Ordinal); // the head the service saw then (the HTTP call appended since)

        var ahead = await VerifyCommandAsync("--expect-head", new Head(head.Seq + 1000, head.Hash).ToString());
        Assert.True(ahead.ExitCode == 1, ahead.Output);
        Assert.Contains("head_missing", ahead.Output, StringComparison.Ordinal);
        var malformed = await VerifyCommandAsync("--expect-head", "not-a-head");
        Assert.True(malformed.ExitCode == 2, malformed.Output);

        var changed = head.Seq - 1;
        var status = Assert.Single(await factory.QueryAsync<string>("SELECT coalesce(status::text, 'NULL') FROM audit.entries WHERE seq = @s", ("s", changed)));
        await factory.ExecuteAsync("ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only");
        try
        {
            await factory.ExecuteAsync($"UPDATE audit.entries SET status = 299 WHERE seq = {changed}");
            var broken = await VerifyCommandAsync();
            Assert.True(broken.ExitCode == 1, broken.Output);
            Assert.Contains($"problem: seq {changed}: entry_changed", broken.Output, StringComparison.Ordinal);
            await factory.ExecuteAsync($"UPDATE audit.entries SET status = {status} WHERE seq = {changed}");
        }
        finally
        {
            await factory.ExecuteAsync("ALTER TABLE audit.entries ENABLE TRIGGER entries_append_only");
        }

        var repaired = await VerifyCommandAsync();
        Assert.True(repaired.ExitCode == 0, repaired.Output);
    }

    private static async Task<Head> HeadAsync(HttpClient admin)
    {
        var verify = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        return new Head(verify.GetProperty("head_seq").GetInt64(), verify.GetProperty("head_hash").GetString()!);
    }

    private async Task<List<Subject>> SubjectsAsync(string where, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT seq, actor, tenant_id, target, remote_addr, subject_hash FROM audit.entries WHERE {where} ORDER BY seq", connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<Subject>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Subject(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<byte[]>(5)));
        }

        return rows;
    }

    /// <summary>Runs the real `Detector.Web.dll audit verify` against the fixture's database, with its audit key.</summary>
    private Task<(int ExitCode, string Output)> VerifyCommandAsync(params string[] options) =>
        WebCommand.RunAsync(
            ["audit", "verify", .. options],
            new Dictionary<string, string> { ["Database__ConnectionString"] = factory.ConnectionString, ["Compliance__AuditSubjectKey"] = TestSecrets.AuditSubjectKey },
            TimeSpan.FromMinutes(1));
}
