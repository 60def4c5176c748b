using Dapper;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>A job's completion webhook as the job's state: its delivery ticket and its end (the attempts are the Webhooks module's).</summary>
internal sealed class WebhookStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records the delivery's Hangfire job as the job's ticket; false when the job is gone (erased meanwhile: waits for an erase in progress).</summary>
    public async Task<bool> SetTicketAsync(Guid jobId, string hangfireId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            WITH job AS (SELECT id FROM jobs.jobs WHERE id = @jobId FOR NO KEY UPDATE),
                 ticket AS (
                     UPDATE jobs.jobs j SET webhook_job_id = @hangfireId, webhook_updated_at = now()
                     FROM job WHERE j.id = job.id AND j.webhook_status = 'pending')
            SELECT EXISTS (SELECT 1 FROM job)
            """,
            new { jobId, hangfireId },
            cancellationToken: ct));
    }

    /// <summary>Ends a pending delivery: delivered, or failed (given up). Its attempts are the Webhooks module's.</summary>
    public async Task EndAsync(Guid jobId, string status, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.jobs SET webhook_status = @status, webhook_updated_at = now()
            WHERE id = @jobId AND webhook_status = 'pending'
            """,
            new { jobId, status },
            cancellationToken: ct));
    }
}
