using System.Net;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.Compliance;

/// <summary>
/// Work that reschedules itself while its tenant is being erased (a chunk of a disabled tenant
/// put back, a webhook retried) leaves no Hangfire job behind that names the erased tenant or job.
/// </summary>
[Collection("Jobs")]
public sealed class ErasureReschedulingTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    private JobDispatcher Dispatcher => factory.Services.GetRequiredService<JobDispatcher>();

    [Fact]
    public async Task A_webhook_and_a_chunk_rescheduled_after_the_erase_by_work_that_read_the_job_before_it_are_gone()
    {
        var (tenantId, jobId) = await factory.CreateUndispatchedJobAsync(1);
        using var admin = factory.Admin();
        using (var erased = await admin.PostAsync($"/v1/admin/tenants/{tenantId}/erase", null))
        {
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        }

        // A worker and a webhook sender that read the job before the erase put themselves back now.
        await Dispatcher.ScheduleChunkAsync(tenantId, jobId, 0, 0, JobStore.QueueFor("normal"), TimeSpan.FromMinutes(10), CancellationToken.None);
        await Dispatcher.EnqueueWebhookAsync(jobId, TimeSpan.FromMinutes(10), CancellationToken.None);

        Assert.Empty(await HangfireJobsNamingAsync(tenantId, jobId));
    }

    [Fact]
    public async Task A_webhook_rescheduled_while_the_erase_holds_its_job_is_gone_once_the_erase_commits()
    {
        var (tenantId, jobId) = await factory.CreateUndispatchedJobAsync(1);

        // The erase, between listing the tenant's Hangfire jobs and committing the delete of its jobs:
        // it holds the job's row. A webhook retry scheduled now is made after that listing.
        await using var erase = new NpgsqlConnection(factory.ConnectionString);
        await erase.OpenAsync();
        await using var tx = await erase.BeginTransactionAsync();
        await using (var lockJob = new NpgsqlCommand("SELECT 1 FROM jobs.jobs WHERE id = @j FOR UPDATE", erase, tx))
        {
            lockJob.Parameters.AddWithValue("j", jobId);
            await lockJob.ExecuteNonQueryAsync();
        }

        var retry = Task.Run(() => Dispatcher.EnqueueWebhookAsync(jobId, TimeSpan.FromMinutes(10), CancellationToken.None));
        // Until the retry's Hangfire job exists and its ticket waits for the erase's lock (or it got through).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!retry.IsCompleted && !(await factory.QueryAsync<bool>(
            """
            SELECT EXISTS (SELECT 1 FROM hangfire.job WHERE strpos(arguments::text, @j) > 0 AND invocationdata::text LIKE '%WebhookSender%')
               AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%webhook_job_id%')
            """,
            ("j", jobId.ToString())))[0])
        {
            Assert.True(DateTime.UtcNow < deadline, "the retry neither finished nor waited for the erase within 30 s");
            await Task.Delay(20);
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM jobs.jobs WHERE id = @j", erase, tx))
        {
            delete.Parameters.AddWithValue("j", jobId);
            await delete.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        await retry.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(await HangfireJobsNamingAsync(tenantId, jobId));
    }

    private Task<List<long>> HangfireJobsNamingAsync(Guid tenantId, Guid jobId) => factory.QueryAsync<long>(
        "SELECT id FROM hangfire.job WHERE strpos(arguments::text, @t) > 0 OR strpos(arguments::text, @j) > 0",
        ("t", tenantId.ToString()),
        ("j", jobId.ToString()));
}
