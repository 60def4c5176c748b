using Dapper;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// What recovery needs to know, from the jobs schema alone: leases held by each process, leases
/// that expired, and open work without a dispatch ticket. Nothing here reads Hangfire's tables
/// (ADR 0006): Hangfire only carries tickets, and a lost ticket shows up as a NULL here.
/// </summary>
internal sealed class RecoveryQueries(NpgsqlDataSource dataSource)
{
    /// <summary>Extends every lease this process holds; returns how many items it holds.</summary>
    public async Task<int> RenewLeasesAsync(Guid leaseOwner, Guid[] jobIds, int[] idxs, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items AS i SET lease_until = now() + @lease
            FROM unnest(@jobIds, @idxs) AS held(job_id, idx)
            WHERE i.job_id = held.job_id AND i.idx = held.idx AND i.state = 'running' AND i.lease_owner = @leaseOwner
            """,
            new { leaseOwner, jobIds, idxs, lease },
            cancellationToken: ct));
    }

    /// <summary>Ends this process's leases at once (graceful shutdown), so its items are claimable without waiting for expiry.</summary>
    public async Task<int> ReleaseLeasesAsync(Guid leaseOwner, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs.items SET lease_until = now() WHERE state = 'running' AND lease_owner = @leaseOwner",
            new { leaseOwner },
            cancellationToken: ct));
    }

    /// <summary>
    /// Puts running items whose lease expired (their process died or stalled) back to queued
    /// without a ticket, and returns them for dispatch. If the caller dies before dispatching,
    /// they are found again by <see cref="FindUndispatchedAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<ItemRef>> RequeueExpiredAsync(int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ItemRef>(new CommandDefinition(
            """
            WITH expired AS (
                SELECT job_id, idx FROM jobs.items
                WHERE state = 'running' AND (lease_until IS NULL OR lease_until < now())
                ORDER BY lease_until NULLS FIRST
                LIMIT @limit
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs.items i
            SET state = 'queued', lease_owner = NULL, lease_until = NULL, hangfire_job_id = NULL, updated_at = now()
            FROM expired e, jobs.jobs j
            WHERE i.job_id = e.job_id AND i.idx = e.idx AND j.id = i.job_id
            RETURNING i.job_id AS JobId, i.idx AS Idx, j.tenant_id AS TenantId, i.queue AS Queue
            """,
            new { limit },
            cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Queued items with no ticket for longer than <paramref name="grace"/>: the process died
    /// between the commit and the enqueue, or between a requeue and its dispatch, or the
    /// item's Hangfire job failed or was deleted.
    /// </summary>
    public async Task<IReadOnlyList<ItemRef>> FindUndispatchedAsync(TimeSpan grace, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ItemRef>(new CommandDefinition(
            """
            SELECT i.job_id AS JobId, i.idx AS Idx, j.tenant_id AS TenantId, i.queue AS Queue
            FROM jobs.items i
            JOIN jobs.jobs j ON j.id = i.job_id
            WHERE i.state = 'queued' AND i.hangfire_job_id IS NULL AND i.updated_at < now() - @grace
            ORDER BY i.job_id, i.idx
            LIMIT @limit
            """,
            new { grace, limit },
            cancellationToken: ct))).AsList();
    }

    /// <summary>Pending completion webhooks with no delivery ticket for longer than <paramref name="grace"/>.</summary>
    public async Task<IReadOnlyList<Guid>> FindUndispatchedWebhooksAsync(TimeSpan grace, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT id FROM jobs.jobs
            WHERE webhook_status = 'pending' AND webhook_job_id IS NULL AND webhook_updated_at < now() - @grace
            ORDER BY webhook_updated_at
            LIMIT @limit
            """,
            new { grace, limit },
            cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Forgets a ticket whose Hangfire job ended without running its work (failed after its
    /// retries, or deleted from the dashboard), so the sweep dispatches the work again.
    /// </summary>
    public int ClearTicket(string hangfireId)
    {
        using var connection = dataSource.OpenConnection();
        return connection.Execute(new CommandDefinition(
            """
            UPDATE jobs.items SET hangfire_job_id = NULL, updated_at = now() WHERE state = 'queued' AND hangfire_job_id = @hangfireId;
            UPDATE jobs.jobs SET webhook_job_id = NULL WHERE webhook_status = 'pending' AND webhook_job_id = @hangfireId;
            """,
            new { hangfireId }));
    }
}
