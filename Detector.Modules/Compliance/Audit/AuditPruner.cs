using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>
/// The audit log's own retention: entries (which hold addresses, key ids and image hashes) older
/// than Compliance:AuditRetentionDays are deleted oldest first, and verification starts from a
/// checkpoint instead. Each batch is one transaction that first writes the checkpoint (the first
/// kept entry's seq and prev_hash) and then deletes what comes before it; the trigger allows
/// exactly that deletion. The newest entry always stays, so the chain keeps its last link.
/// </summary>
internal sealed class AuditPruner(NpgsqlDataSource dataSource, IOptions<ComplianceOptions> options)
{
    /// <summary>Deletes the entries past Compliance:AuditRetentionDays as of <paramref name="now"/>, in batches of Compliance:RetentionBatchSize; returns how many.</summary>
    public Task<long> PruneExpiredAsync(DateTimeOffset now, CancellationToken ct) =>
        PruneAsync(now - TimeSpan.FromDays(options.Value.AuditRetentionDays), options.Value.RetentionBatchSize, ct);

    /// <summary>Deletes, in batches of <paramref name="batch"/>, the entries before the first one at or after <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<long> PruneAsync(DateTimeOffset cutoff, int batch, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // A prefix by seq: an entry goes once it and every entry before it are past the period
            // (an entry stamped earlier than its predecessor, after a clock step, waits for them).
            var (first, keep) = await connection.QuerySingleAsync<(long? First, long? Keep)>(new CommandDefinition(
                """
                SELECT (SELECT min(seq) FROM audit.entries),
                       least((SELECT min(seq) FROM audit.entries WHERE at >= @cutoff), (SELECT max(seq) FROM audit.entries))
                """, new { cutoff }, tx, cancellationToken: ct));
            if (first is not { } from || keep is not { } until || until <= from)
            {
                return total;
            }

            var kept = Math.Min(until, from + batch);
            var deleted = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO audit.checkpoints (seq, prev_hash, deleted)
                SELECT seq, prev_hash, (SELECT count(*) FROM audit.entries WHERE seq < @kept) FROM audit.entries WHERE seq = @kept
                RETURNING deleted
                """, new { kept }, tx, cancellationToken: ct));
            var removed = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM audit.entries WHERE seq < @kept", new { kept }, tx, cancellationToken: ct));
            if (removed != deleted)
            {
                throw new InvalidOperationException($"Audit retention counted {deleted} entries before seq {kept} but deleted {removed}; rolled back.");
            }

            await tx.CommitAsync(ct);
            total += removed;
        }
    }
}
