using System.Data;
using System.Text.Json;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>A break in the chain: where, and what kind (see <see cref="AuditVerifier"/>).</summary>
internal sealed record AuditProblem(long Seq, string Problem);

/// <summary>Where verification started because retention deleted what came before (null: from seq 1).</summary>
internal sealed record AuditCheckpoint(long Seq, string PrevHash, DateTime At, long Deleted);

/// <summary>
/// A head recorded earlier, checked against the chain: matched, missing (cut off, or never
/// there), differs, or before_checkpoint (retention deleted it since; nothing to compare).
/// </summary>
internal sealed record AuditAnchorCheck(long Seq, string Hash, string Status);

/// <summary>What verifying the chain found, and its head (record it elsewhere to detect a cut-off tail later).</summary>
internal sealed record AuditVerification(
    bool Valid, long Entries, long? FromSeq, long? HeadSeq, string? HeadHash, AuditCheckpoint? Checkpoint, AuditAnchorCheck? ExpectedHead, IReadOnlyList<AuditProblem> Problems);

/// <summary>
/// Recomputes the whole chain in the service, streaming the entries in order in one snapshot:
/// the keyed subject digests need the key the database never holds, and the entry hashes are
/// recomputed here too, so the check does not rely on functions stored in the database it checks.
/// Problems: missing_entries (a gap in seq), before_checkpoint, broken_link (prev_hash is not the
/// previous entry's hash), entry_changed, subject_changed (an unredacted subject that does not
/// match its digest, or a redacted row that kept one), redaction_unrecorded (a cleared subject no
/// audit.redact entry accounts for), redaction_mismatch (an audit.redact entry whose count its
/// rows do not match), head_missing and head_mismatch (against an expected head).
/// </summary>
internal sealed class AuditVerifier(NpgsqlDataSource dataSource, AuditSubjects subjects)
{
    private const int MaxProblems = 100;

    public async Task<AuditVerification> VerifyAsync(AuditHead? expected, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One snapshot for the checkpoint, the scan and the head, so the head reported is one that was checked.
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var checkpoint = await ReadCheckpointAsync(connection, tx, ct);
        var walk = new Walk(checkpoint, expected, subjects);
        await using (var command = new NpgsqlCommand(
            """
            SELECT seq, at, action, status, detail, actor, tenant_id, target, remote_addr, subject_hash, subject_alg, prev_hash, hash,
                   redacted_at IS NOT NULL, redacted_by
            FROM audit.entries ORDER BY seq
            """, connection, tx))
        await using (var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct))
        {
            while (await reader.ReadAsync(ct))
            {
                walk.Visit(new Row(
                    reader.GetInt64(0), reader.GetDateTime(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetGuid(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetFieldValue<byte[]>(9), reader.GetInt16(10),
                    reader.GetFieldValue<byte[]>(11), reader.GetFieldValue<byte[]>(12), reader.GetBoolean(13),
                    reader.IsDBNull(14) ? null : reader.GetInt64(14)));
            }
        }

        await tx.CommitAsync(ct);
        return walk.Finish();
    }

    private static async Task<AuditCheckpoint?> ReadCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT seq, prev_hash, at, deleted FROM audit.checkpoints ORDER BY seq DESC LIMIT 1", connection, tx);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new AuditCheckpoint(reader.GetInt64(0), AuditChain.Hex(reader.GetFieldValue<byte[]>(1)), reader.GetDateTime(2), reader.GetInt64(3))
            : null;
    }

    private sealed record Row(
        long Seq, DateTime At, string Action, int? Status, string? Detail, string? Actor, Guid? Tenant, string? Target, string? Remote,
        byte[] Subject, short Alg, byte[] Prev, byte[] Hash, bool Redacted, long? RedactedBy);

    /// <summary>The state of one pass: what the next entry must link to, the redactions seen so far, and the expected head as it passes.</summary>
    private sealed class Walk(AuditCheckpoint? checkpoint, AuditHead? expected, AuditSubjects subjects)
    {
        private readonly List<AuditProblem> _problems = [];
        private readonly Dictionary<long, (long Count, long First)> _redactedBy = [];
        private long _expectedSeq = checkpoint?.Seq ?? 1;
        private byte[] _expectedPrev = checkpoint is null ? AuditChain.Genesis : Convert.FromHexString(checkpoint.PrevHash);
        private long _entries;
        private long? _first;
        private Row? _last;
        private string? _expectedHeadFound;

        public void Visit(Row row)
        {
            _entries++;
            _first ??= row.Seq;
            Add(row.Seq,
                row.Seq > _expectedSeq ? "missing_entries"
                : row.Seq < _expectedSeq ? "before_checkpoint"
                : !row.Prev.AsSpan().SequenceEqual(_expectedPrev) ? "broken_link"
                : !row.Hash.AsSpan().SequenceEqual(AuditChain.EntryHash(row.Prev, row.Seq, row.At, row.Action, row.Status, row.Detail, row.Subject)) ? "entry_changed"
                : SubjectProblem(row));
            if (row.Redacted && row.RedactedBy is { } by && by > row.Seq)
            {
                var seen = _redactedBy.GetValueOrDefault(by, (0, row.Seq));
                _redactedBy[by] = (seen.Count + 1, seen.First);
            }

            // The rows a redaction cleared all come before its entry, so they are counted by now.
            var named = _redactedBy.Remove(row.Seq, out var redacted);
            if (row.Action == "audit.redact")
            {
                Add(row.Seq, RedactionProblem(row, named ? redacted.Count : 0));
            }
            else if (named)
            {
                Add(redacted.First, "redaction_unrecorded");
            }

            if (row.Seq == expected?.Seq)
            {
                _expectedHeadFound = AuditChain.Hex(row.Hash);
            }

            _expectedSeq = row.Seq + 1;
            _expectedPrev = row.Hash;
            _last = row;
        }

        public AuditVerification Finish()
        {
            foreach (var (_, (_, first)) in _redactedBy)
            {
                Add(first, "redaction_unrecorded"); // they name an entry past the head, or one that is gone
            }

            var problems = _problems.OrderBy(p => p.Seq).ToList();
            var anchor = expected is null ? null : CheckAnchor(expected);
            if (anchor is { Status: "missing" or "differs" })
            {
                problems.Add(new AuditProblem(anchor.Seq, anchor.Status == "missing" ? "head_missing" : "head_mismatch"));
            }

            return new AuditVerification(problems.Count == 0, _entries, _first, _last?.Seq, _last is null ? null : AuditChain.Hex(_last.Hash),
                checkpoint, anchor, problems);
        }

        private AuditAnchorCheck CheckAnchor(AuditHead head)
        {
            // The entry just before the checkpoint is gone, but the checkpoint keeps its hash.
            var actual = _expectedHeadFound ?? (checkpoint is not null && head.Seq == checkpoint.Seq - 1 ? checkpoint.PrevHash : null);
            var status = actual is not null ? (actual == head.Hash ? "matched" : "differs")
                : checkpoint is not null && head.Seq < checkpoint.Seq - 1 ? "before_checkpoint"
                : "missing";
            return new AuditAnchorCheck(head.Seq, head.Hash, status);
        }

        private string? SubjectProblem(Row row)
        {
            if (row.Redacted)
            {
                return row.Actor is not null || row.Tenant is not null || row.Target is not null || row.Remote is not null ? "subject_changed"
                    : row.RedactedBy is not { } by || by <= row.Seq ? "redaction_unrecorded"
                    : null;
            }

            var digest = subjects.Digest(row.Alg, row.Actor, row.Tenant, row.Target, row.Remote);
            return digest is null || !digest.AsSpan().SequenceEqual(row.Subject) || row.RedactedBy is not null ? "subject_changed" : null;
        }

        /// <summary>An audit.redact entry must account for exactly the rows that name it (fewer, where retention deleted some of them).</summary>
        private string? RedactionProblem(Row row, long seen)
        {
            long entries, from;
            try
            {
                using var detail = JsonDocument.Parse(row.Detail ?? "{}");
                entries = detail.RootElement.GetProperty("entries").GetInt64();
                from = detail.RootElement.GetProperty("from_seq").GetInt64();
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return "redaction_mismatch";
            }

            var allKept = from >= (_first ?? 1);
            return seen == entries || (!allKept && seen < entries) ? null : "redaction_mismatch";
        }

        private void Add(long seq, string? problem)
        {
            if (problem is null)
            {
                return;
            }

            if (_problems.Count < MaxProblems)
            {
                _problems.Add(new AuditProblem(seq, problem));
            }
        }
    }
}
