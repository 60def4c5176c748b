using System.Data.Common;
using Dapper;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// Every change of an item's state, each guarded so it happens at most once: claims take only
/// queued items or items whose lease has expired, terminal states are entered only from
/// queued or running, and the job's counts move in the same transaction as the item.
/// </summary>
internal sealed class ItemTransitions(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Claims the claimable items of a chunk for this process with a lease, counting an attempt:
    /// queued items, and running items whose lease expired (their worker died). Items leased by a
    /// live worker and terminal items are skipped, so two executions of one chunk never share an item.
    /// </summary>
    public async Task<IReadOnlyList<ItemRow>> ClaimAsync(Guid jobId, int first, int last, WorkerIdentity worker, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"""
            UPDATE jobs.items
            SET state = 'running', attempts = attempts + 1, processed_by = @instance,
                lease_owner = @owner, lease_until = now() + @lease, claimed_at = now(), updated_at = now()
            WHERE job_id = @jobId AND idx BETWEEN @first AND @last
              AND (state = 'queued' OR (state = 'running' AND (lease_until IS NULL OR lease_until < now())))
            RETURNING {JobStore.ItemColumns}
            """,
            new { jobId, first, last, instance = worker.Instance, owner = worker.LeaseOwner, lease },
            tx,
            cancellationToken: ct))).AsList();
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE jobs.jobs SET status = 'running', started_at = coalesce(started_at, now()) WHERE id = @jobId AND status = 'queued'",
                new { jobId },
                tx,
                cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        rows.Sort((a, b) => a.Idx.CompareTo(b.Idx));
        return rows;
    }

    /// <summary>
    /// Moves one item to a terminal state (only from queued/running, so exactly once) and updates
    /// the job's counts in the same transaction. Returns whether this call made the change, and the
    /// job's completion when it was the last open item. A worker whose lease lapsed may still
    /// finish: the first execution to finish wins and the result row is the same either way.
    /// </summary>
    public async Task<(bool Changed, JobCompletion? Completion)> FinishAsync(
        Guid jobId, int idx, string state, Guid? resultId, string? errorCode, string? errorDetail, string instance, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items
            SET state = @state, result_id = @resultId, error_code = @errorCode, error_detail = @errorDetail,
                processed_by = @instance, finished_at = now(), updated_at = now(), lease_owner = NULL, lease_until = NULL
            WHERE job_id = @jobId AND idx = @idx AND state IN ('queued', 'running')
            """,
            new { jobId, idx, state, resultId, errorCode, errorDetail = JobStore.Truncate(errorDetail), instance },
            tx,
            cancellationToken: ct));
        if (changed == 0)
        {
            await tx.RollbackAsync(ct);
            return (false, null);
        }

        var completion = await ApplyCountsAsync(
            connection,
            tx,
            jobId,
            state == ItemState.Succeeded ? 1 : 0,
            state == ItemState.Failed ? 1 : 0,
            state == ItemState.Cancelled ? 1 : 0,
            cancelRequested: false,
            ct);
        await tx.CommitAsync(ct);
        return (true, completion);
    }

    /// <summary>
    /// Puts an item this process holds back to queued for a retry, without a ticket until the
    /// retry is scheduled. False when the lease was lost (another worker has the item now).
    /// </summary>
    public async Task<bool> RequeueForRetryAsync(Guid jobId, int idx, Guid leaseOwner, string errorCode, string errorDetail, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items
            SET state = 'queued', error_code = @errorCode, error_detail = @errorDetail, hangfire_job_id = NULL,
                lease_owner = NULL, lease_until = NULL, updated_at = now()
            WHERE job_id = @jobId AND idx = @idx AND state = 'running' AND lease_owner = @leaseOwner
            """,
            new { jobId, idx, leaseOwner, errorCode, errorDetail = JobStore.Truncate(errorDetail) },
            cancellationToken: ct)) == 1;
    }

    /// <summary>Records which Hangfire job (the dispatch ticket) will run each range of queued items.</summary>
    /// <summary>Records the chunks' Hangfire jobs as their items' tickets; false when the job is gone (erased meanwhile: waits for an erase in progress).</summary>
    public async Task<bool> SetTicketsAsync(Guid jobId, IReadOnlyList<(int First, int Last, string HangfireId)> chunks, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            WITH job AS (SELECT id FROM jobs.jobs WHERE id = @jobId FOR KEY SHARE),
                 tickets AS (
                     UPDATE jobs.items i SET hangfire_job_id = c.hid, updated_at = now()
                     FROM unnest(@firsts, @lasts, @hids) AS c(f, l, hid), job
                     WHERE i.job_id = job.id AND i.idx BETWEEN c.f AND c.l AND i.state = 'queued')
            SELECT EXISTS (SELECT 1 FROM job)
            """,
            new
            {
                jobId,
                firsts = chunks.Select(c => c.First).ToArray(),
                lasts = chunks.Select(c => c.Last).ToArray(),
                hids = chunks.Select(c => c.HangfireId).ToArray(),
            },
            cancellationToken: ct));
    }

    /// <summary>Cancels the items not yet started. Null when the job is not the tenant's.</summary>
    public async Task<(JobRow Job, int Cancelled, JobCompletion? Completion)?> CancelAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM jobs.jobs WHERE tenant_id = @tenantId AND id = @jobId)",
            new { tenantId, jobId },
            tx,
            cancellationToken: ct));
        if (!exists)
        {
            await tx.RollbackAsync(ct);
            return null;
        }

        // Items before the job, in index order: the order every worker's claim and finish take
        // them in (item rows, then the job's counts). Locking the job first deadlocked with an item
        // finishing meanwhile (40P01, answered 503 to the cancel).
        var cancelled = await connection.ExecuteAsync(new CommandDefinition(
            """
            WITH queued AS (
                SELECT idx FROM jobs.items WHERE job_id = @jobId AND state = 'queued' ORDER BY idx FOR UPDATE)
            UPDATE jobs.items i SET state = 'cancelled', error_code = 'cancelled', finished_at = now(), updated_at = now()
            FROM queued q
            WHERE i.job_id = @jobId AND i.idx = q.idx AND i.state = 'queued'
            """,
            new { jobId },
            tx,
            cancellationToken: ct));
        var completion = await ApplyCountsAsync(connection, tx, jobId, 0, 0, cancelled, cancelRequested: true, ct);
        var job = await connection.QuerySingleAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobStore.JobColumns} FROM jobs.jobs WHERE id = @jobId", new { jobId }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (job, cancelled, completion);
    }

    private static async Task<JobCompletion?> ApplyCountsAsync(
        NpgsqlConnection connection, DbTransaction tx, Guid jobId, int s, int f, int c, bool cancelRequested, CancellationToken ct)
    {
        // The update that brings succeeded + failed + cancelled to total is the one that finishes
        // the job: items only ever leave queued/running once, so it happens exactly once.
        var row = await connection.QuerySingleAsync<(string Status, Guid TenantId, DateTime CreatedAt, DateTime? FinishedAt, bool HasCallback, bool Done, bool WasDone)>(new CommandDefinition(
            """
            WITH old AS (SELECT succeeded + failed + cancelled >= total AS was_done FROM jobs.jobs WHERE id = @jobId)
            UPDATE jobs.jobs j SET
                succeeded = j.succeeded + @s,
                failed = j.failed + @f,
                cancelled = j.cancelled + @c,
                cancel_requested = j.cancel_requested OR @cancelRequested,
                status = CASE
                    WHEN j.succeeded + j.failed + j.cancelled >= j.total THEN j.status
                    WHEN j.succeeded + @s + j.failed + @f + j.cancelled + @c >= j.total THEN
                        CASE WHEN j.cancelled + @c > 0 THEN 'cancelled'
                             WHEN j.failed + @f = 0 THEN 'succeeded'
                             WHEN j.succeeded + @s = 0 THEN 'failed'
                             ELSE 'partially_failed' END
                    WHEN j.status = 'queued' AND @s + @f > 0 THEN 'running'
                    ELSE j.status END,
                started_at = CASE WHEN @s + @f > 0 THEN coalesce(j.started_at, now()) ELSE j.started_at END,
                finished_at = CASE WHEN j.succeeded + @s + j.failed + @f + j.cancelled + @c >= j.total THEN coalesce(j.finished_at, now()) ELSE NULL END,
                webhook_status = CASE WHEN j.callback_url IS NOT NULL AND j.webhook_status IS NULL
                                           AND j.succeeded + @s + j.failed + @f + j.cancelled + @c >= j.total
                                      THEN 'pending' ELSE j.webhook_status END,
                webhook_updated_at = CASE WHEN j.callback_url IS NOT NULL AND j.webhook_status IS NULL
                                               AND j.succeeded + @s + j.failed + @f + j.cancelled + @c >= j.total
                                          THEN now() ELSE j.webhook_updated_at END
            FROM old
            WHERE j.id = @jobId
            RETURNING j.status, j.tenant_id, j.created_at, j.finished_at, j.callback_url IS NOT NULL,
                      j.succeeded + j.failed + j.cancelled >= j.total, old.was_done
            """,
            new { jobId, s, f, c, cancelRequested },
            tx,
            cancellationToken: ct));
        return row.Done && !row.WasDone
            ? new JobCompletion(jobId, row.TenantId, row.Status, row.CreatedAt, row.FinishedAt ?? DateTime.UtcNow, row.HasCallback)
            : null;
    }
}
