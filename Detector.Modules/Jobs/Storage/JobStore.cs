using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>Job rows and their items as written at submission and read by the API; every tenant-facing query filters on the tenant.</summary>
internal sealed class JobStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    internal const string JobColumns =
        """
        id AS Id, tenant_id AS TenantId, status AS Status, source AS Source, priority AS Priority, model AS Model,
        min_score AS MinScore, iou AS Iou, max_detections AS MaxDetections, callback_url AS CallbackUrl,
        total AS Total, succeeded AS Succeeded, failed AS Failed, cancelled AS Cancelled, cancel_requested AS CancelRequested,
        created_at AS CreatedAt, started_at AS StartedAt, finished_at AS FinishedAt, webhook_status AS WebhookStatus
        """;

    internal const string ItemColumns =
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
            INSERT INTO jobs.jobs (id, tenant_id, source, priority, model, min_score, iou, max_detections, callback_url, total, created_at)
            VALUES (@Id, @TenantId, @Source, @Priority, @Model, @MinScore, @Iou, @MaxDetections, @CallbackUrl, @Total, @CreatedAt)
            """,
            new { job.Id, job.TenantId, job.Source, job.Priority, job.Model, job.MinScore, job.Iou, job.MaxDetections, job.CallbackUrl, Total = items.Count, CreatedAt = time.GetUtcNow() },
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

    /// <summary>Each item's result and image, for erasing a job.</summary>
    public async Task<IReadOnlyList<(Guid? ResultId, string? Sha256)>> ItemOutputsAsync(Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid?, string?)>(new CommandDefinition(
            "SELECT result_id, image_sha256 FROM jobs.items WHERE job_id = @jobId",
            new { jobId },
            cancellationToken: ct))).AsList();
    }

    /// <summary>Deletes the tenant's job; its items and webhook attempts go with it (cascade).</summary>
    public async Task<bool> DeleteAsync(Guid tenantId, Guid jobId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.jobs WHERE id = @jobId AND tenant_id = @tenantId",
            new { tenantId, jobId },
            cancellationToken: ct)) == 1;
    }

    /// <summary>Whether any job item of the tenant is the image <paramref name="sha256"/>.</summary>
    public async Task<bool> ReferencesImageAsync(Guid tenantId, string sha256, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM jobs.items i JOIN jobs.jobs j ON j.id = i.job_id WHERE i.image_sha256 = @sha256::char(64) AND j.tenant_id = @tenantId)",
            new { tenantId, sha256 },
            cancellationToken: ct));
    }

    /// <summary>Whether a queued or running item of the tenant still needs the image (plans that keep no images drop it after).</summary>
    public async Task<bool> AwaitsImageAsync(Guid tenantId, string sha256, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            SELECT EXISTS (SELECT 1 FROM jobs.items i JOIN jobs.jobs j ON j.id = i.job_id
                           WHERE i.image_sha256 = @sha256::char(64) AND j.tenant_id = @tenantId AND i.state IN ('queued', 'running'))
            """,
            new { tenantId, sha256 },
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

    /// <summary>Items of a job in index order after <paramref name="afterIndex"/>; the caller has checked the tenant.</summary>
    public async Task<IReadOnlyList<ItemRow>> ListItemsAsync(Guid jobId, int afterIndex, int take, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"SELECT {ItemColumns} FROM jobs.items WHERE job_id = @jobId AND idx > @afterIndex ORDER BY idx LIMIT @take",
            new { jobId, afterIndex, take },
            cancellationToken: ct))).AsList();
    }

    /// <summary>Jobs by status and open items by queue, for the gauges.</summary>
    public async Task<(IReadOnlyList<(string Status, long Count)> Jobs, IReadOnlyList<(string Queue, long Count)> Pending)> CountsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var jobs = (await connection.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT status, count(*) FROM jobs.jobs GROUP BY status", cancellationToken: ct))).AsList();
        var pending = (await connection.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT queue, count(*) FROM jobs.items WHERE state IN ('queued', 'running') GROUP BY queue", cancellationToken: ct))).AsList();
        return (jobs, pending);
    }

    internal static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;
}
