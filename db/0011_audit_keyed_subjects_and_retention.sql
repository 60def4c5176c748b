-- Compliance (ADR 0012, amended for issue 20): keyed subject digests, redactions recorded as
-- chained entries, and retention of the audit log itself from a checkpoint.
--
-- 1. Subject digests are versioned. subject_alg 1: the unkeyed SHA-256 of 0009, which a brute
--    force of the address space inverts once the subject is redacted; kept only so old entries
--    still verify. subject_alg 2: HMAC-SHA256 under Compliance:AuditSubjectKey, computed by the
--    service; the key never reaches the database, so append takes the digest as a parameter and
--    verification recomputes it in the service.
-- 2. A redaction is its own entry (action audit.redact, detail {"entries": n, "from_seq": s}),
--    appended in the transaction that clears the subjects; each cleared row names it in
--    redacted_by, so a subject cleared without a recorded redaction is visible.
-- 3. Entries past Compliance:AuditRetentionDays are deleted oldest first; the first kept entry's
--    seq and prev_hash are written to audit.checkpoints in the same transaction, and the trigger
--    allows exactly that: deleting entries before a checkpoint written by the deleting
--    transaction, whose prev_hash is the kept entry's. Verification starts from the newest one.
ALTER TABLE audit.entries
    ADD COLUMN subject_alg smallint NOT NULL DEFAULT 1 CHECK (subject_alg IN (1, 2)),
    ADD COLUMN redacted_by bigint;
-- Every new entry states how its digest was made.
ALTER TABLE audit.entries ALTER COLUMN subject_alg DROP DEFAULT;

CREATE TABLE audit.checkpoints (
    seq        bigint PRIMARY KEY CHECK (seq >= 2),
    prev_hash  bytea NOT NULL CHECK (length(prev_hash) = 32),
    deleted    bigint NOT NULL CHECK (deleted >= 0),
    at         timestamptz NOT NULL DEFAULT now(),
    xact       xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- The unkeyed append is retired: an instance of the previous version fails its appends (counted
-- and logged, never failing a request) instead of writing digests a redaction cannot protect.
DROP FUNCTION audit.append(text, integer, text, text, uuid, text, text);

-- Appends one entry with the digest the caller computed: the transaction lock serialises writers
-- on every instance, so each entry links to the one before it. Returns the new entry's seq.
CREATE FUNCTION audit.append(p_action text, p_status integer, p_detail text, p_actor text, p_tenant uuid, p_target text, p_remote text,
                             p_subject bytea, p_subject_alg smallint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_prev  bytea;
    v_seq   bigint;
    v_at    timestamptz := date_trunc('microseconds', clock_timestamp());
BEGIN
    PERFORM pg_advisory_xact_lock(4702111234474983745); -- 'AUDITLOG'
    SELECT seq, hash INTO v_seq, v_prev FROM audit.entries ORDER BY seq DESC LIMIT 1;
    v_seq := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    INSERT INTO audit.entries (seq, at, action, status, detail, actor, tenant_id, target, remote_addr, subject_hash, subject_alg, prev_hash, hash)
    VALUES (v_seq, v_at, p_action, p_status, p_detail, p_actor, p_tenant, p_target, p_remote, p_subject, p_subject_alg, v_prev,
            audit.entry_hash(v_prev, v_seq, v_at, p_action, p_status, p_detail, p_subject));
    RETURN v_seq;
END;
$$;

-- Redactions made before this migration are recorded now, as one entry that their rows name (its
-- subject is the system's, which is no one's personal data, so the unkeyed digest is harmless).
DO $$
DECLARE
    v_count bigint;
    v_first bigint;
    v_seq   bigint;
BEGIN
    SELECT count(*), min(seq) INTO v_count, v_first FROM audit.entries WHERE redacted_at IS NOT NULL;
    IF v_count > 0 THEN
        v_seq := audit.append('audit.redact', NULL, json_build_object('entries', v_count, 'from_seq', v_first, 'recorded_by', 'migration 0011')::text,
                              'system', NULL, NULL, NULL, audit.subject_digest('system', NULL, NULL, NULL), 1::smallint);
        ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only;
        UPDATE audit.entries SET redacted_by = v_seq WHERE redacted_at IS NOT NULL;
        ALTER TABLE audit.entries ENABLE TRIGGER entries_append_only;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- A redaction: only the subject columns are cleared, once, naming the audit.redact entry
        -- (appended before, in the same transaction) that records it.
        IF OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND NEW.redacted_by > OLD.seq
           AND NEW.actor IS NULL AND NEW.tenant_id IS NULL AND NEW.target IS NULL AND NEW.remote_addr IS NULL
           AND (NEW.seq, NEW.at, NEW.action, NEW.status, NEW.detail, NEW.subject_hash, NEW.subject_alg, NEW.prev_hash, NEW.hash)
               IS NOT DISTINCT FROM (OLD.seq, OLD.at, OLD.action, OLD.status, OLD.detail, OLD.subject_hash, OLD.subject_alg, OLD.prev_hash, OLD.hash)
           AND EXISTS (SELECT 1 FROM audit.entries r WHERE r.seq = NEW.redacted_by AND r.action = 'audit.redact') THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        -- Retention: entries before a checkpoint this transaction wrote, which names the kept
        -- entry the chain now starts from. Nothing else, so the tail and the middle stay.
        IF EXISTS (SELECT 1 FROM audit.checkpoints c JOIN audit.entries e ON e.seq = c.seq AND e.prev_hash = c.prev_hash
                   WHERE c.xact = pg_current_xact_id() AND OLD.seq < c.seq) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit.entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION audit.refuse_checkpoint_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit.checkpoints is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON audit.checkpoints FOR EACH ROW EXECUTE FUNCTION audit.refuse_checkpoint_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON audit.checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_checkpoint_change();
