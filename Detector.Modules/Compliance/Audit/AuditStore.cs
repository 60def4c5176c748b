using Dapper;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>One audit entry as the admin API shows it.</summary>
internal sealed record AuditEntry(
    long Seq, DateTime At, string Action, int? Status, string? Detail, string? Actor, Guid? TenantId, string? Target, string? RemoteAddr, bool Redacted, string Hash);

/// <summary>A break in the chain: where, and what kind (missing_entries, broken_link, entry_changed, subject_changed).</summary>
internal sealed record AuditProblem(long Seq, string Problem);

/// <summary>What verifying the whole chain found, and its head (record it elsewhere to detect a cut-off tail later).</summary>
internal sealed record AuditVerification(bool Valid, long Entries, long? HeadSeq, string? HeadHash, IReadOnlyList<AuditProblem> Problems);

/// <summary>Reading, verifying and (for erasure) redacting <c>audit.entries</c>.</summary>
internal sealed class AuditStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditFilter filter, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AuditEntry>(new CommandDefinition(
            """
            SELECT seq AS Seq, at AS At, action AS Action, status AS Status, detail AS Detail, actor AS Actor, tenant_id AS TenantId,
                   target AS Target, remote_addr AS RemoteAddr, redacted_at IS NOT NULL AS Redacted, encode(hash, 'hex') AS Hash
            FROM audit.entries
            WHERE (@TenantId::uuid IS NULL OR tenant_id = @TenantId)
              AND (@Action::text IS NULL OR action = @Action)
              AND (@Actor::text IS NULL OR actor = @Actor)
              AND (@Target::text IS NULL OR target = @Target)
              AND (@Since::timestamptz IS NULL OR at >= @Since)
              AND (@Until::timestamptz IS NULL OR at < @Until)
              AND (@BeforeSeq::bigint IS NULL OR seq < @BeforeSeq)
            ORDER BY seq DESC
            LIMIT @Limit
            """, filter, cancellationToken: ct))).AsList();
    }

    /// <summary>Walks the whole chain in one pass (the server recomputes every hash); reports the first problems found.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One snapshot for the scan and the head, so the head reported is one that was checked.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var problems = (await connection.QueryAsync<AuditProblem>(new CommandDefinition(
            """
            SELECT seq AS Seq, problem AS Problem FROM (
                SELECT seq, CASE
                    WHEN seq <> coalesce(lag(seq) OVER w, 0) + 1 THEN 'missing_entries'
                    WHEN prev_hash <> coalesce(lag(hash) OVER w, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) THEN 'broken_link'
                    WHEN hash <> audit.entry_hash(prev_hash, seq, at, action, status, detail, subject_hash) THEN 'entry_changed'
                    WHEN redacted_at IS NULL AND subject_hash <> audit.subject_digest(actor, tenant_id, target, remote_addr) THEN 'subject_changed'
                    WHEN redacted_at IS NOT NULL AND num_nonnulls(actor, tenant_id, target, remote_addr) > 0 THEN 'subject_changed'
                END AS problem
                FROM audit.entries
                WINDOW w AS (ORDER BY seq)
            ) checked
            WHERE problem IS NOT NULL
            ORDER BY seq
            LIMIT 100
            """, transaction: tx, cancellationToken: ct))).AsList();
        var head = await connection.QuerySingleAsync<(long Count, long? Seq, string? Hash)>(new CommandDefinition(
            """
            SELECT (SELECT count(*) FROM audit.entries), h.seq, encode(h.hash, 'hex')
            FROM (SELECT 1) one LEFT JOIN (SELECT seq, hash FROM audit.entries ORDER BY seq DESC LIMIT 1) h ON true
            """, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new AuditVerification(problems.Count == 0, head.Count, head.Seq, head.Hash, problems);
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT DISTINCT tenant_id FROM audit.entries WHERE tenant_id IS NOT NULL", cancellationToken: ct))).AsList();
    }

    /// <summary>Clears who, whom, what and where from every entry about the tenant (its erasure); the chain still verifies.</summary>
    public async Task<long> RedactTenantAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE audit.entries SET actor = NULL, tenant_id = NULL, target = NULL, remote_addr = NULL, redacted_at = now()
            WHERE tenant_id = @tenantId
            """, new { tenantId }, cancellationToken: ct));
    }
}

/// <summary>Filters of an audit query; newest first, keyset-paged by seq.</summary>
internal sealed record AuditFilter(Guid? TenantId, string? Action, string? Actor, string? Target, DateTimeOffset? Since, DateTimeOffset? Until, long? BeforeSeq, int Limit);
