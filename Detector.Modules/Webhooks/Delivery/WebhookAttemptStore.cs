using Dapper;
using Detector.Modules.Webhooks.Contracts;
using Npgsql;

namespace Detector.Modules.Webhooks.Delivery;

/// <summary>
/// Every delivery attempt made, under its delivery's id. The rows are in jobs.webhook_attempts,
/// where they were made before this module had its own schema (a job's id is the delivery id of
/// its completion webhook, and the rows go with the job by a cascading key); they are this
/// module's (ADR 0015).
/// </summary>
internal sealed class WebhookAttemptStore(NpgsqlDataSource dataSource) : IWebhookAttempts
{
    public async Task<IReadOnlyList<WebhookAttempt>> ListAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<WebhookAttempt>(new CommandDefinition(
            """
            SELECT attempt AS Attempt, attempted_at AS AttemptedAt, status_code AS StatusCode, error AS Error, duration_ms AS DurationMs
            FROM jobs.webhook_attempts WHERE job_id = @deliveryId ORDER BY attempt
            """,
            new { deliveryId },
            cancellationToken: cancellationToken))).AsList();
    }

    public async Task<long> CountAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM jobs.webhook_attempts WHERE job_id = ANY(@ids)",
            new { ids = deliveryIds.ToArray() },
            cancellationToken: cancellationToken));
    }

    public async Task<int> NextAttemptAsync(Guid deliveryId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(attempt), 0) + 1 FROM jobs.webhook_attempts WHERE job_id = @deliveryId",
            new { deliveryId },
            cancellationToken: ct));
    }

    /// <summary>Records an attempt; a second record of the same attempt (a replayed execution) changes nothing.</summary>
    public async Task RecordAsync(Guid deliveryId, WebhookAttempt attempt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO jobs.webhook_attempts (job_id, attempt, attempted_at, status_code, error, duration_ms)
            VALUES (@deliveryId, @Attempt, @AttemptedAt, @StatusCode, @Error, @DurationMs)
            ON CONFLICT (job_id, attempt) DO NOTHING
            """,
            new { deliveryId, attempt.Attempt, attempt.AttemptedAt, attempt.StatusCode, Error = Truncate(attempt.Error), attempt.DurationMs },
            cancellationToken: ct));
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;
}
