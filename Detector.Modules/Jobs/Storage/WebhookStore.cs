using Dapper;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>Completion webhooks: the delivery ticket of a job and every attempt made.</summary>
internal sealed class WebhookStore(NpgsqlDataSource dataSource)
{
    public async Task SetTicketAsync(Guid jobId, string hangfireId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs.jobs SET webhook_job_id = @hangfireId, webhook_updated_at = now() WHERE id = @jobId AND webhook_status = 'pending'",
            new { jobId, hangfireId },
            cancellationToken: ct));
    }

    public async Task<IReadOnlyList<WebhookAttemptRow>> GetAttemptsAsync(Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WebhookAttemptRow>(new CommandDefinition(
            """
            SELECT attempt AS Attempt, attempted_at AS AttemptedAt, status_code AS StatusCode, error AS Error, duration_ms AS DurationMs
            FROM jobs.webhook_attempts WHERE job_id = @jobId ORDER BY attempt
            """,
            new { jobId },
            cancellationToken: ct))).AsList();
    }

    public async Task<int> NextAttemptAsync(Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(attempt), 0) + 1 FROM jobs.webhook_attempts WHERE job_id = @jobId",
            new { jobId },
            cancellationToken: ct));
    }

    /// <summary>Records an attempt and, when given, the webhook's new status (delivered or failed).</summary>
    public async Task RecordAttemptAsync(Guid jobId, int attempt, DateTimeOffset at, int? statusCode, string? error, double durationMs, string? newStatus, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO jobs.webhook_attempts (job_id, attempt, attempted_at, status_code, error, duration_ms)
            VALUES (@jobId, @attempt, @at, @statusCode, @error, @durationMs)
            ON CONFLICT (job_id, attempt) DO NOTHING
            """,
            new { jobId, attempt, at = at.UtcDateTime, statusCode, error = JobStore.Truncate(error), durationMs },
            tx,
            cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.jobs SET webhook_status = coalesce(@newStatus, webhook_status), webhook_updated_at = now()
            WHERE id = @jobId AND webhook_status = 'pending'
            """,
            new { jobId, newStatus },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
    }
}
