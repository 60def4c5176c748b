using System.Diagnostics;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>Short leases and lock timeouts, so recovery paths run in seconds.</summary>
public sealed class FastRecoveryJobsFactory : JobsApiFactory
{
    public const double LockTimeoutSeconds = 5;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Jobs:LeaseSeconds", "2"),
        new("Jobs:OrphanGraceSeconds", "1"),
        new("Jobs:Hangfire:DistributedLockTimeoutSeconds", LockTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Jobs:Hangfire:InvisibilityTimeoutSeconds", "5"),
    ];
}

/// <summary>The ways a kill -9 strands work, each reproduced exactly, and recovered within the configured bounds.</summary>
[Collection("Jobs")]
public sealed class JobRecoveryTests(FastRecoveryJobsFactory factory, ITestOutputHelper output) : IClassFixture<FastRecoveryJobsFactory>
{
    [Fact]
    public async Task Chunks_whose_hangfire_jobs_a_killed_process_left_state_locked_finish_after_the_lock_timeout()
    {
        // The root cause of the stranded chunks: Hangfire.PostgreSql's locks are rows, and a
        // process killed while changing a job's state leaves "job:<id>:state-lock" behind. The
        // next worker to fetch that job waits until the lock is old enough to break (10 minutes
        // by default) and the job stays Enqueued. Leave exactly such rows for the next jobs.
        using var client = await factory.NewTenantAsync();
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO hangfire.lock (resource, acquired)
                SELECT 'hangfire:job:' || id || ':state-lock', now()
                FROM generate_series((SELECT last_value + 1 FROM hangfire.job_id_seq), (SELECT last_value + 20 FROM hangfire.job_id_seq)) AS id
                """,
                connection);
            Assert.Equal(20, await command.ExecuteNonQueryAsync());
        }

        var stopwatch = Stopwatch.StartNew();
        var accepted = await SubmitAsync(client, Images(Coco(8)));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        output.WriteLine($"finished after {stopwatch.Elapsed.TotalSeconds:F1} s with a {FastRecoveryJobsFactory.LockTimeoutSeconds} s lock timeout");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, FastRecoveryJobsFactory.LockTimeoutSeconds - 2, FastRecoveryJobsFactory.LockTimeoutSeconds + 20);
    }

    [Fact]
    public async Task Items_a_dead_process_held_are_put_back_and_finished_after_their_lease_expires()
    {
        var (_, jobId) = await factory.CreateUndispatchedJobAsync(2);

        // What a process killed mid-item leaves: items running under its lease, their Hangfire job gone.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                UPDATE jobs.items SET state = 'running', lease_owner = gen_random_uuid(), lease_until = now() + interval '2 seconds',
                                      processed_by = 'killed', hangfire_job_id = '999999999', attempts = 1
                WHERE job_id = @jobId
                """,
                connection);
            command.Parameters.AddWithValue("jobId", jobId);
            Assert.Equal(2, await command.ExecuteNonQueryAsync());
        }

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal("succeeded", await factory.WaitForJobAsync(jobId, TimeSpan.FromSeconds(30)));
        output.WriteLine($"recovered after {stopwatch.Elapsed.TotalSeconds:F1} s (lease 2 s, sweep every 1 s)");
        Assert.Equal(0, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND processed_by = 'killed'", jobId));
        Assert.Equal(2, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND attempts = 2", jobId));
    }

    [Fact]
    public async Task An_item_whose_attempts_all_died_with_their_process_fails_as_attempts_exhausted_and_is_not_run_again()
    {
        var (_, jobId) = await factory.CreateUndispatchedJobAsync(2);
        var maxAttempts = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Detector.Modules.Jobs.JobsOptions>>().Value.MaxAttempts;

        // Item 0 as a poison image leaves it: every attempt so far claimed it and then its process died.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                UPDATE jobs.items SET state = 'running', lease_owner = gen_random_uuid(), lease_until = now() - interval '1 second',
                                      processed_by = 'crashed', hangfire_job_id = '999999998', attempts = @attempts
                WHERE job_id = @jobId AND idx = 0
                """,
                connection);
            command.Parameters.AddWithValue("jobId", jobId);
            command.Parameters.AddWithValue("attempts", maxAttempts);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
            await using var dispatch = new NpgsqlCommand("UPDATE jobs.items SET updated_at = now() - interval '1 hour' WHERE job_id = @jobId AND idx = 1", connection);
            dispatch.Parameters.AddWithValue("jobId", jobId);
            await dispatch.ExecuteNonQueryAsync();
        }

        Assert.Equal("partially_failed", await factory.WaitForJobAsync(jobId, TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND idx = 0 AND state = 'failed' AND error_code = 'attempts_exhausted' AND result_id IS NULL", jobId));
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND idx = 1 AND state = 'succeeded'", jobId));
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", jobId));
    }

    [Fact]
    public async Task Items_whose_hangfire_job_was_deleted_are_dispatched_again()
    {
        using var client = await factory.NewTenantAsync();
        var accepted = await SubmitAsync(client, Images(Coco(1)));
        var jobId = Guid.Parse(accepted.GetProperty("id").GetString()!);
        await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(1));

        // Re-open the item under a retry ticket an hour away, then delete that Hangfire job (as an operator could, in the dashboard).
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                UPDATE jobs.items SET state = 'queued', result_id = NULL, finished_at = NULL WHERE job_id = @jobId;
                UPDATE jobs.jobs SET succeeded = 0, status = 'running', finished_at = NULL WHERE id = @jobId;
                """,
                connection);
            command.Parameters.AddWithValue("jobId", jobId);
            await command.ExecuteNonQueryAsync();
        }

        var tenantId = (await factory.Services.GetRequiredService<JobStore>().GetForWorkerAsync(jobId, CancellationToken.None))!.TenantId;
        await factory.Services.GetRequiredService<JobDispatcher>().ScheduleRetryAsync(tenantId, jobId, 0, "default", TimeSpan.FromHours(1), CancellationToken.None);
        var ticket = await TicketOfAsync(jobId);
        Assert.True(factory.Services.GetRequiredService<IBackgroundJobClient>().Delete(ticket));

        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromSeconds(30));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.NotEqual(ticket, await TicketOfAsync(jobId));
    }

    private async Task<string> TicketOfAsync(Guid jobId)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT hangfire_job_id FROM jobs.items WHERE job_id = @jobId AND idx = 0", connection);
        command.Parameters.AddWithValue("jobId", jobId);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
