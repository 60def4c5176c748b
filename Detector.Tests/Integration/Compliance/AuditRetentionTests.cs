using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Compliance.ApplyRetention;
using Detector.Modules.Compliance.Audit;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Webhooks;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.Compliance;

/// <summary>
/// What retention left behind: audit entries past their own period (deleted, the chain verified
/// from a checkpoint) and a tenant's failed background jobs (Hangfire keeps them, with their
/// arguments, forever).
/// </summary>
[Collection("Jobs")]
public sealed class AuditRetentionTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    private const int AuditRetentionDays = 400; // ComplianceOptions' default

    [Fact]
    public async Task Audit_entries_past_their_retention_are_deleted_and_the_chain_still_verifies_from_the_checkpoint()
    {
        factory.Clock.Offset = TimeSpan.Zero;
        using var admin = factory.Admin();
        using (var old = await TenantUsage.CreateAsync(factory, admin, "audit-old", firstImage: -1))
        {
        }

        var oldHead = await HeadAsync(admin);
        await factory.Services.GetRequiredService<AuditWriter>().FlushAsync();
        var oldAt = Assert.Single(await factory.QueryAsync<DateTime>("SELECT max(at) FROM audit.entries"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        using (var fresh = await TenantUsage.CreateAsync(factory, admin, "audit-fresh", firstImage: -1))
        {
        }

        await factory.Services.GetRequiredService<AuditWriter>().FlushAsync();
        var keep = Assert.Single(await factory.QueryAsync<long>("SELECT min(seq) FROM audit.entries WHERE at > @t", ("t", oldAt)));
        var expected = Assert.Single(await factory.QueryAsync<long>("SELECT count(*) FROM audit.entries WHERE seq < @k", ("k", keep)));
        var lastDeleted = new AuditIntegrityTests.Head(keep - 1, Assert.Single(await factory.QueryAsync<string>("SELECT encode(hash, 'hex') FROM audit.entries WHERE seq = @s", ("s", keep - 1))));
        Assert.True(keep > oldHead.Seq && expected >= 3, $"keep {keep}, {expected} older entries");

        // The retention period ends a second after the old entries, a second before the fresh ones.
        factory.Clock.Offset = TimeSpan.FromDays(AuditRetentionDays) + (oldAt.AddSeconds(1) - DateTime.UtcNow);
        await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);

        Assert.Empty(await factory.QueryAsync<long>("SELECT seq FROM audit.entries WHERE seq < @k", ("k", keep)));
        Assert.Equal(keep, Assert.Single(await factory.QueryAsync<long>("SELECT min(seq) FROM audit.entries")));
        var checkpoint = await factory.QueryAsync<string>(
            "SELECT c.seq || ' ' || c.deleted || ' ' || (c.prev_hash = e.prev_hash) FROM audit.checkpoints c JOIN audit.entries e ON e.seq = c.seq");
        Assert.Equal($"{keep} {expected} true", Assert.Single(checkpoint));
        var purge = Assert.Single(await factory.QueryAsync<string>("SELECT detail FROM audit.entries WHERE action = 'retention.purge' ORDER BY seq DESC LIMIT 1"));
        Assert.Equal(expected, JsonDocument.Parse(purge).RootElement.GetProperty("AuditEntries").GetInt64()); // the pruning is itself in the chain

        var verify = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit/verify?expect_head={lastDeleted}");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        Assert.Equal(keep, verify.GetProperty("from_seq").GetInt64());
        Assert.Equal(keep, verify.GetProperty("checkpoint").GetProperty("seq").GetInt64());
        Assert.Equal("matched", verify.GetProperty("expected_head").GetProperty("status").GetString()); // against the checkpoint's link
        var older = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/audit/verify?expect_head={oldHead with { Seq = 1 }}");
        Assert.True(older.GetProperty("valid").GetBoolean(), older.ToString());
        Assert.Equal("before_checkpoint", older.GetProperty("expected_head").GetProperty("status").GetString());

        // The trigger allows only that deletion: not an entry at or after a checkpoint, not without one.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO audit.checkpoints (seq, prev_hash, deleted) SELECT seq, prev_hash, 0 FROM audit.entries WHERE seq = {keep + 1}", connection, tx))
            {
                Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            }

            await using var tail = new NpgsqlCommand($"DELETE FROM audit.entries WHERE seq >= {keep + 1}", connection, tx);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => tail.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        }

        await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
        Assert.Equal(keep, Assert.Single(await factory.QueryAsync<long>("SELECT min(seq) FROM audit.entries"))); // nothing more is past the period
        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify")).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task A_failed_background_job_of_a_tenant_past_its_retention_is_gone_after_the_retention_run()
    {
        factory.Clock.Offset = TimeSpan.Zero;
        using var admin = factory.Admin();
        using var weekly = await TenantUsage.CreateAsync(factory, admin, "failed-7-days", firstImage: -1);
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{weekly.TenantId}/plan", new { retention_days = 7 }))
        {
            plan.EnsureSuccessStatusCode();
        }

        using var monthly = await TenantUsage.CreateAsync(factory, admin, "failed-30-days", firstImage: -1);
        var (_, weeklyJob) = await factory.CreateUndispatchedJobAsync(1, weekly.TenantId);
        var failedChunk = await FailedAsync(Job.FromExpression<JobWorker>(w => w.ProcessAsync(weekly.TenantId, weeklyJob, 0, 0, CancellationToken.None)));
        var failedWebhook = await FailedAsync(Job.FromExpression<WebhookSender>(w => w.DeliverAsync(weeklyJob, CancellationToken.None))); // names the job only
        var scheduled = factory.Services.GetRequiredService<IBackgroundJobClient>().Create(
            Job.FromExpression<JobWorker>(w => w.ProcessAsync(weekly.TenantId, weeklyJob, 0, 0, CancellationToken.None)), new ScheduledState(TimeSpan.FromDays(30)));
        var otherFailed = await FailedAsync(Job.FromExpression<JobWorker>(w => w.ProcessAsync(monthly.TenantId, Guid.NewGuid(), 0, 0, CancellationToken.None)));
        var ids = new[] { failedChunk, failedWebhook, scheduled, otherFailed }.Select(long.Parse).ToArray();
        Assert.Equal(4, await StatesAsync(ids));

        // Day 8: past the weekly tenant's 7 days, within the other's 30.
        factory.Clock.Offset = TimeSpan.FromDays(8);
        await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);

        var left = await factory.QueryAsync<long>("SELECT id FROM hangfire.job WHERE id = ANY(@ids) ORDER BY id", ("ids", ids));
        Assert.Equal(new[] { long.Parse(scheduled), long.Parse(otherFailed) }.Order().ToList(), left);
        Assert.Equal(2, await StatesAsync(ids)); // their state history went with them
        Assert.Empty(await factory.QueryAsync<string>("SELECT value FROM hangfire.set WHERE key = 'failed' AND value = ANY(@v)", ("v", new[] { failedChunk, failedWebhook })));
    }

    /// <summary>A Hangfire job that failed for good: its automatic retries used up, as Hangfire leaves it (forever).</summary>
    private async Task<string> FailedAsync(Job job)
    {
        var client = factory.Services.GetRequiredService<IBackgroundJobClient>();
        var id = client.Create(job, new ScheduledState(TimeSpan.FromDays(30)));
        using (var connection = factory.Services.GetRequiredService<JobStorage>().GetConnection())
        {
            connection.SetJobParameter(id, "RetryCount", "5");
        }

        Assert.True(client.ChangeState(id, new FailedState(new InvalidOperationException("model crashed")), ScheduledState.StateName));
        Assert.Equal(FailedState.StateName, Assert.Single(await factory.QueryAsync<string>("SELECT statename FROM hangfire.job WHERE id = @id", ("id", long.Parse(id)))));
        return id;
    }

    private async Task<int> StatesAsync(long[] ids) =>
        (await factory.QueryAsync<long>("SELECT DISTINCT jobid FROM hangfire.state WHERE jobid = ANY(@ids)", ("ids", ids))).Count;

    private static async Task<AuditIntegrityTests.Head> HeadAsync(HttpClient admin)
    {
        var verify = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        return new AuditIntegrityTests.Head(verify.GetProperty("head_seq").GetInt64(), verify.GetProperty("head_hash").GetString()!);
    }
}
