using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Tenancy.Idempotency;

internal sealed class IdempotencyRecord
{
    public string State { get; set; } = "";

    public byte[]? Fingerprint { get; set; }

    public int? Status { get; set; }

    public string? Headers { get; set; }

    public byte[]? Body { get; set; }

    public long? RequestBytes { get; set; }

    /// <summary>How many multipart delimiters the first request's body had (0: not multipart).</summary>
    public long Delimiters { get; set; }

    /// <summary>The length of the first request's multipart boundary (0: not multipart).</summary>
    public int BoundaryLength { get; set; }
}

/// <summary>
/// tenancy.idempotency: one row per (tenant, key), claimed while the first request runs, then its
/// answer and the result or job the answer is about (its subject), by which it is forgotten.
/// </summary>
internal sealed class IdempotencyStore(NpgsqlDataSource dataSource) : IIdempotencyRecords
{
    /// <summary>
    /// Claims the key for this request, or returns the record that holds it. An expired record
    /// and a claim whose request died long ago (its process was killed) are taken over.
    /// </summary>
    public async Task<IdempotencyRecord?> TryClaimAsync(Guid tenantId, string key, TimeSpan expiry, TimeSpan staleClaim, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var claimed = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO tenancy.idempotency AS i (tenant_id, key, state) VALUES (@tenantId, @key, 'running')
            ON CONFLICT (tenant_id, key) DO UPDATE SET
                state = 'running', fingerprint = NULL, status = NULL, headers = NULL, body = NULL, subject_id = NULL,
                created_at = now(), completed_at = NULL
            WHERE i.created_at < now() - @expiry OR (i.state = 'running' AND i.created_at < now() - @staleClaim)
            """,
            new { tenantId, key, expiry, staleClaim },
            cancellationToken: ct));
        if (claimed == 1)
        {
            return null;
        }

        return await connection.QuerySingleOrDefaultAsync<IdempotencyRecord>(new CommandDefinition(
            """
            SELECT state AS State, fingerprint AS Fingerprint, status AS Status, headers::text AS Headers, body AS Body,
                   (headers ->> 'request_bytes')::bigint AS RequestBytes, coalesce((headers ->> 'delimiters')::bigint, 0) AS Delimiters,
                   coalesce((headers ->> 'boundary_length')::int, 0) AS BoundaryLength
            FROM tenancy.idempotency WHERE tenant_id = @tenantId AND key = @key
            """,
            new { tenantId, key },
            cancellationToken: ct)) ?? new IdempotencyRecord { State = "running" };
    }

    public async Task CompleteAsync(Guid tenantId, string key, byte[] fingerprint, int status, string headersJson, byte[] body, Guid? subjectId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE tenancy.idempotency SET state = 'done', fingerprint = @fingerprint, status = @status, headers = @headersJson::jsonb,
                                           body = @body, subject_id = @subjectId, completed_at = now()
            WHERE tenant_id = @tenantId AND key = @key AND state = 'running'
            """,
            new { tenantId, key, fingerprint, status, headersJson, body, subjectId },
            cancellationToken: ct));
    }

    /// <summary>Gives the key up (the answer is not one to keep, e.g. a 503): the client may try again with it.</summary>
    public async Task ReleaseAsync(Guid tenantId, string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM tenancy.idempotency WHERE tenant_id = @tenantId AND key = @key AND state = 'running'",
            new { tenantId, key },
            cancellationToken: ct));
    }

    public async Task<int> ForgetAsync(Guid tenantId, IReadOnlyCollection<Guid> subjectIds, CancellationToken cancellationToken)
    {
        if (subjectIds.Count == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM tenancy.idempotency WHERE tenant_id = @tenantId AND subject_id = ANY(@subjectIds)",
            new { tenantId, subjectIds = subjectIds.ToArray() },
            cancellationToken: cancellationToken));
    }

    /// <summary>Deletes expired records, at most <paramref name="batch"/> at a time; returns how many.</summary>
    public async Task<int> PurgeAsync(TimeSpan expiry, int batch, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM tenancy.idempotency WHERE ctid IN (
                SELECT ctid FROM tenancy.idempotency WHERE created_at < now() - @expiry LIMIT @batch)
            """,
            new { expiry, batch },
            cancellationToken: ct));
    }
}
