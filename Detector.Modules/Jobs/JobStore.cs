using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Detector.Modules.Jobs.Contracts;
using Npgsql;

namespace Detector.Modules.Jobs;

internal sealed record NewJob(
    Guid Id,
    Guid TenantId,
    string Source,
    string Priority,
    string? Model,
    float? MinScore,
    float? Iou,
    int? MaxDetections,
    string? CallbackUrl,
    string? BaseUrl);

internal sealed record NewItem(int Index, string? FileName, string? Url, string? Sha256);

internal sealed class JobRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public string Status { get; set; } = "";

    public string Source { get; set; } = "";

    public string Priority { get; set; } = "";

    public string? Model { get; set; }

    public float? MinScore { get; set; }

    public float? Iou { get; set; }

    public int? MaxDetections { get; set; }

    public string? CallbackUrl { get; set; }

    public string? BaseUrl { get; set; }

    public int Total { get; set; }

    public int Succeeded { get; set; }

    public int Failed { get; set; }

    public int Cancelled { get; set; }

    public bool CancelRequested { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? WebhookStatus { get; set; }
}

internal sealed class ItemRow
{
    public int Idx { get; set; }

    public string? FileName { get; set; }

    public string? Url { get; set; }

    public string? ImageSha256 { get; set; }

    public string State { get; set; } = "";

    public int Attempts { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorDetail { get; set; }

    public Guid? ResultId { get; set; }

    public string? ProcessedBy { get; set; }

    public string Queue { get; set; } = "";
}

internal sealed class WebhookAttemptRow
{
    public int Attempt { get; set; }

    public DateTime AttemptedAt { get; set; }

    public int? StatusCode { get; set; }

    public string? Error { get; set; }

    public double DurationMs { get; set; }
}

internal sealed record OpenItemRef(Guid JobId, int Idx, Guid TenantId, string Queue);

/// <summary>A job that reached a terminal status in the transaction that returned it.</summary>
internal sealed record JobCompletion(Guid JobId, Guid TenantId, string Status, DateTime CreatedAt, DateTime FinishedAt, bool HasCallback);

/// <summary>Data access of the jobs schema; every tenant-facing query filters on the tenant.</summary>
internal sealed class JobStore(NpgsqlDataSource dataSource)
{
    private const string JobColumns =
        """
        id AS Id, tenant_id AS TenantId, status AS Status, source AS Source, priority AS Priority, model AS Model,
        min_score AS MinScore, iou AS Iou, max_detections AS MaxDetections, callback_url AS CallbackUrl, base_url AS BaseUrl,
        total AS Total, succeeded AS Succeeded, failed AS Failed, cancelled AS Cancelled, cancel_requested AS CancelRequested,
        created_at AS CreatedAt, started_at AS StartedAt, finished_at AS FinishedAt, webhook_status AS WebhookStatus
        """;

    private const string ItemColumns =
        """
        idx AS Idx, file_name AS FileName, url AS Url, image_sha256 AS ImageSha256, state AS State, attempts AS Attempts,
        error_code AS ErrorCode, error_detail AS ErrorDetail, result_id AS ResultId, processed_by AS ProcessedBy, queue AS Queue
        """;

    public static string QueueFor(string priority) => priority switch
    {
        "high" => "high",
        "low" => "low",
        _ => "default",
    };

    /// <summary>The result id of an item is a function of (job, index), so a second execution can only rewrite the same row.</summary>
    public static Guid ResultIdFor(Guid jobId, int index)
    {
        Span<byte> input = stackalloc byte[20];
        jobId.TryWriteBytes(input);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(input[16..], index);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>The job and all its items in one transaction: after commit nothing accepted can be lost.</summary>
    public async Task CreateAsync(NewJob job, IReadOnlyList<NewItem> items, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO jobs.jobs (id, tenant_id, source, priority, model, min_score, iou, max_detections, callback_url, base_url, total)
            VALUES (@Id, @TenantId, @Source, @Priority, @Model, @MinScore, @Iou, @MaxDetections, @CallbackUrl, @BaseUrl, @Total)
            """,
            new { job.Id, job.TenantId, job.Source, job.Priority, job.Model, job.MinScore, job.Iou, job.MaxDetections, job.CallbackUrl, job.BaseUrl, Total = items.Count },
            tx,
            cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO jobs.items (job_id, idx, file_name, url, image_sha256, queue)
            SELECT @jobId, i.idx, i.file_name, i.url, i.sha, @queue
            FROM unnest(@idx, @names, @urls, @shas) AS i(idx, file_name, url, sha)
            """,
            new
            {
                jobId = job.Id,
                queue = QueueFor(job.Priority),
                idx = items.Select(i => i.Index).ToArray(),
                names = items.Select(i => i.FileName).ToArray(),
                urls = items.Select(i => i.Url).ToArray(),
                shas = items.Select(i => i.Sha256).ToArray(),
            },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Records which Hangfire job carries each range of items (for the recovery sweep).</summary>
    public async Task SetHangfireIdsAsync(Guid jobId, IReadOnlyList<(int First, int Last, string HangfireId)> chunks, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items i SET hangfire_job_id = c.hid, updated_at = now()
            FROM unnest(@firsts, @lasts, @hids) AS c(f, l, hid)
            WHERE i.job_id = @jobId AND i.idx BETWEEN c.f AND c.l AND i.state IN ('queued', 'running')
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

    public async Task<JobRow?> GetAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobColumns} FROM jobs.jobs WHERE tenant_id = @tenantId AND id = @jobId",
            new { tenantId, jobId },
            cancellationToken: ct));
    }

    /// <summary>For workers: the job, whatever its tenant (the tenant comes from the job row itself).</summary>
    public async Task<JobRow?> GetForWorkerAsync(Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobColumns} FROM jobs.jobs WHERE id = @jobId",
            new { jobId },
            cancellationToken: ct));
    }

    public async Task<IReadOnlyList<WebhookAttemptRow>> GetWebhookAttemptsAsync(Guid jobId, CancellationToken ct)
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

    /// <summary>Items of a job in index order after <paramref name="afterIndex"/>; the caller has checked the tenant.</summary>
    public async Task<IReadOnlyList<ItemRow>> ListItemsAsync(Guid jobId, int afterIndex, int take, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"SELECT {ItemColumns} FROM jobs.items WHERE job_id = @jobId AND idx > @afterIndex ORDER BY idx LIMIT @take",
            new { jobId, afterIndex, take },
            cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Claims the open items of a chunk for this execution: queued or running (a running item whose
    /// worker died is taken over), counting an attempt. Terminal items are skipped.
    /// </summary>
    public async Task<IReadOnlyList<ItemRow>> StartItemsAsync(Guid jobId, int first, int last, string instance, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"""
            UPDATE jobs.items SET state = 'running', attempts = attempts + 1, processed_by = @instance, updated_at = now()
            WHERE job_id = @jobId AND idx BETWEEN @first AND @last AND state IN ('queued', 'running')
            RETURNING {ItemColumns}
            """,
            new { jobId, first, last, instance },
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
    /// job's completion when it was the last open item.
    /// </summary>
    public async Task<(bool Changed, JobCompletion? Completion)> FinishItemAsync(
        Guid jobId, int idx, string state, Guid? resultId, string? errorCode, string? errorDetail, string instance, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items
            SET state = @state, result_id = @resultId, error_code = @errorCode, error_detail = @errorDetail,
                processed_by = @instance, finished_at = now(), updated_at = now()
            WHERE job_id = @jobId AND idx = @idx AND state IN ('queued', 'running')
            """,
            new { jobId, idx, state, resultId, errorCode, errorDetail = Truncate(errorDetail), instance },
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
            state == "succeeded" ? 1 : 0,
            state == "failed" ? 1 : 0,
            state == "cancelled" ? 1 : 0,
            cancelRequested: false,
            ct);
        await tx.CommitAsync(ct);
        return (true, completion);
    }

    /// <summary>Puts a running item back to queued for a retry, naming the Hangfire job that will retry it.</summary>
    public async Task RequeueItemAsync(Guid jobId, int idx, string errorCode, string errorDetail, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items SET state = 'queued', error_code = @errorCode, error_detail = @errorDetail, hangfire_job_id = NULL, updated_at = now()
            WHERE job_id = @jobId AND idx = @idx AND state = 'running'
            """,
            new { jobId, idx, errorCode, errorDetail = Truncate(errorDetail) },
            cancellationToken: ct));
    }

    /// <summary>Cancels the items not yet started. Null when the job is not the tenant's.</summary>
    public async Task<(JobRow Job, int Cancelled, JobCompletion? Completion)?> CancelAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM jobs.jobs WHERE tenant_id = @tenantId AND id = @jobId FOR UPDATE)",
            new { tenantId, jobId },
            tx,
            cancellationToken: ct));
        if (!exists)
        {
            await tx.RollbackAsync(ct);
            return null;
        }

        var cancelled = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.items SET state = 'cancelled', error_code = 'cancelled', finished_at = now(), updated_at = now()
            WHERE job_id = @jobId AND state = 'queued'
            """,
            new { jobId },
            tx,
            cancellationToken: ct));
        var completion = await ApplyCountsAsync(connection, tx, jobId, 0, 0, cancelled, cancelRequested: true, ct);
        var job = await connection.QuerySingleAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobColumns} FROM jobs.jobs WHERE id = @jobId", new { jobId }, tx, cancellationToken: ct));
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

    // --- recovery sweep ---------------------------------------------------------------------

    /// <summary>
    /// Open items whose Hangfire job is missing (the process died between commit and enqueue, or
    /// Hangfire expired it) or finished without finishing the item, and older than the grace period.
    /// </summary>
    public async Task<IReadOnlyList<OpenItemRef>> FindOrphanedItemsAsync(string hangfireSchema, TimeSpan grace, TimeSpan staleProcessing, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // The schema name is validated by HangfireSettings ([a-z_][a-z0-9_]*); it cannot be a parameter.
        return (await connection.QueryAsync<OpenItemRef>(new CommandDefinition(
            $"""
            SELECT i.job_id AS JobId, i.idx AS Idx, j.tenant_id AS TenantId, i.queue AS Queue
            FROM jobs.items i
            JOIN jobs.jobs j ON j.id = i.job_id
            LEFT JOIN {hangfireSchema}.job h
                ON h.id = CASE WHEN i.hangfire_job_id ~ '^[0-9]+$' AND length(i.hangfire_job_id) <= 18 THEN i.hangfire_job_id::bigint END
            WHERE i.state IN ('queued', 'running')
              AND i.updated_at < now() - @grace
              AND (h.id IS NULL OR h.statename IN ('Succeeded', 'Deleted', 'Failed')
                   OR (h.statename = 'Processing' AND i.updated_at < now() - @staleProcessing))
            ORDER BY i.job_id, i.idx
            LIMIT @limit
            """,
            new { grace, staleProcessing, limit },
            cancellationToken: ct))).AsList();
    }

    public async Task<IReadOnlyList<Guid>> FindUndeliveredWebhooksAsync(string hangfireSchema, TimeSpan grace, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            $"""
            SELECT j.id FROM jobs.jobs j
            LEFT JOIN {hangfireSchema}.job h
                ON h.id = CASE WHEN j.webhook_job_id ~ '^[0-9]+$' AND length(j.webhook_job_id) <= 18 THEN j.webhook_job_id::bigint END
            WHERE j.webhook_status = 'pending'
              AND j.webhook_updated_at < now() - @grace
              AND (h.id IS NULL OR h.statename IN ('Succeeded', 'Deleted', 'Failed'))
            LIMIT @limit
            """,
            new { grace, limit },
            cancellationToken: ct))).AsList();
    }

    public async Task<(IReadOnlyList<(string Status, long Count)> Jobs, IReadOnlyList<(string Queue, long Count)> Pending)> CountsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var jobs = (await connection.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT status, count(*) FROM jobs.jobs GROUP BY status", cancellationToken: ct))).AsList();
        var pending = (await connection.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT queue, count(*) FROM jobs.items WHERE state IN ('queued', 'running') GROUP BY queue", cancellationToken: ct))).AsList();
        return (jobs, pending);
    }

    // --- webhooks ---------------------------------------------------------------------------

    public async Task SetWebhookJobAsync(Guid jobId, string hangfireId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs.jobs SET webhook_job_id = @hangfireId, webhook_updated_at = now() WHERE id = @jobId AND webhook_status = 'pending'",
            new { jobId, hangfireId },
            cancellationToken: ct));
    }

    public async Task<int> NextWebhookAttemptAsync(Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(attempt), 0) + 1 FROM jobs.webhook_attempts WHERE job_id = @jobId",
            new { jobId },
            cancellationToken: ct));
    }

    /// <summary>Records an attempt and, when given, the webhook's new status (delivered or failed).</summary>
    public async Task RecordWebhookAttemptAsync(Guid jobId, int attempt, DateTimeOffset at, int? statusCode, string? error, double durationMs, string? newStatus, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO jobs.webhook_attempts (job_id, attempt, attempted_at, status_code, error, duration_ms)
            VALUES (@jobId, @attempt, @at, @statusCode, @error, @durationMs)
            ON CONFLICT (job_id, attempt) DO NOTHING
            """,
            new { jobId, attempt, at = at.UtcDateTime, statusCode, error = Truncate(error), durationMs },
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

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;
}
