using System.Text.Json;
using Dapper;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>One audit entry as the admin API shows it.</summary>
internal sealed record AuditEntry(
    long Seq, DateTime At, string Action, int? Status, string? Detail, string? Actor, Guid? TenantId, string? Target, string? RemoteAddr, bool Redacted, string Hash);

/// <summary>Reading and (for erasure) redacting <c>audit.entries</c>.</summary>
internal sealed class AuditStore(NpgsqlDataSource dataSource, AuditSubjects subjects)
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

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT DISTINCT tenant_id FROM audit.entries WHERE tenant_id IS NOT NULL", cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Clears who, whom, what and where from every entry about the tenant (its erasure), and
    /// records that as an <c>audit.redact</c> entry in the same transaction, which every cleared
    /// row names: the chain still verifies, and shows the redaction. Returns how many were cleared.
    /// </summary>
    public async Task<long> RedactTenantAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The chain's lock first: no entry of the tenant is appended between the count and the update.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AuditChain.LockKey }, tx, cancellationToken: ct));
        var (count, first) = await connection.QuerySingleAsync<(long Count, long? First)>(new CommandDefinition(
            "SELECT count(*), min(seq) FROM audit.entries WHERE tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct));
        if (count == 0)
        {
            return 0;
        }

        // The record says how many and from where, not whose: the tenant's id would undo the redaction.
        var detail = JsonSerializer.Serialize(new { entries = count, from_seq = first });
        var redaction = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT audit.append('audit.redact', NULL, @detail, 'system', NULL, NULL, NULL, @subject, @alg)",
            new { detail, subject = subjects.Digest("system", null, null, null), alg = SubjectAlg.HmacSha256 }, tx, cancellationToken: ct));
        var cleared = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE audit.entries SET actor = NULL, tenant_id = NULL, target = NULL, remote_addr = NULL, redacted_at = now(), redacted_by = @redaction
            WHERE tenant_id = @tenantId
            """, new { tenantId, redaction }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return cleared;
    }
}

/// <summary>Filters of an audit query; newest first, keyset-paged by seq.</summary>
internal sealed record AuditFilter(Guid? TenantId, string? Action, string? Actor, string? Target, DateTimeOffset? Since, DateTimeOffset? Until, long? BeforeSeq, int Limit);
