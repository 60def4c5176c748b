-- Compliance (ADR 0012): the audit log, and what retention and tenant erasure need.
--
-- The audit log is append-only and tamper-evident: entry n carries the SHA-256 of entry n-1,
-- and its own hash covers its position, time, action, outcome, detail and a digest of who, for
-- whom, on what and from where (the "subject"). A changed row no longer hashes to its hash; a
-- removed row leaves a gap in seq and a broken link. A trigger refuses UPDATE, DELETE and
-- TRUNCATE, except the one update an erasure makes: clearing a row's subject columns (the
-- subject digest stays, so the chain still verifies). A table owner can disable the trigger;
-- the chain is what shows it was done.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE audit.entries (
    seq          bigint PRIMARY KEY CHECK (seq >= 1),
    at           timestamptz NOT NULL,
    action       text NOT NULL,
    status       integer,
    detail       text,
    actor        text,
    tenant_id    uuid,
    target       text,
    remote_addr  text,
    subject_hash bytea NOT NULL CHECK (length(subject_hash) = 32),
    prev_hash    bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    redacted_at  timestamptz
);

CREATE INDEX entries_tenant_idx ON audit.entries (tenant_id, seq DESC) WHERE tenant_id IS NOT NULL;
CREATE INDEX entries_action_idx ON audit.entries (action, seq DESC);
CREATE INDEX entries_at_idx ON audit.entries (at);

-- The digest of who/whom/what/where, and the bytes an entry's hash covers after prev_hash.
-- Both append and verify use these, so the format is defined once.
CREATE FUNCTION audit.subject_digest(p_actor text, p_tenant uuid, p_target text, p_remote text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(coalesce(p_actor, '') || E'\n' || coalesce(p_tenant::text, '') || E'\n'
                             || coalesce(p_target, '') || E'\n' || coalesce(p_remote, ''), 'UTF8'))
$$;

CREATE FUNCTION audit.entry_hash(p_prev bytea, p_seq bigint, p_at timestamptz, p_action text, p_status integer, p_detail text, p_subject bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(p_prev || convert_to(p_seq::text || E'\n' || to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || E'\n'
                                       || p_action || E'\n' || coalesce(p_status::text, '') || E'\n' || coalesce(p_detail, '') || E'\n', 'UTF8')
                  || p_subject)
$$;

-- Appends one entry: the transaction lock serialises writers on every instance, so each entry
-- links to the one before it. Returns the new entry's seq.
CREATE FUNCTION audit.append(p_action text, p_status integer, p_detail text, p_actor text, p_tenant uuid, p_target text, p_remote text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_prev  bytea;
    v_seq   bigint;
    v_at    timestamptz := date_trunc('microseconds', clock_timestamp());
    v_subj  bytea := audit.subject_digest(p_actor, p_tenant, p_target, p_remote);
BEGIN
    PERFORM pg_advisory_xact_lock(4702111234474983745); -- 'AUDITLOG'
    SELECT seq, hash INTO v_seq, v_prev FROM audit.entries ORDER BY seq DESC LIMIT 1;
    v_seq := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    INSERT INTO audit.entries (seq, at, action, status, detail, actor, tenant_id, target, remote_addr, subject_hash, prev_hash, hash)
    VALUES (v_seq, v_at, p_action, p_status, p_detail, p_actor, p_tenant, p_target, p_remote, v_subj, v_prev,
            audit.entry_hash(v_prev, v_seq, v_at, p_action, p_status, p_detail, v_subj));
    RETURN v_seq;
END;
$$;

CREATE FUNCTION audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor IS NULL AND NEW.tenant_id IS NULL AND NEW.target IS NULL AND NEW.remote_addr IS NULL AND NEW.redacted_at IS NOT NULL
       AND (NEW.seq, NEW.at, NEW.action, NEW.status, NEW.detail, NEW.subject_hash, NEW.prev_hash, NEW.hash)
           IS NOT DISTINCT FROM (OLD.seq, OLD.at, OLD.action, OLD.status, OLD.detail, OLD.subject_hash, OLD.prev_hash, OLD.hash) THEN
        RETURN NEW; -- an erasure clearing the subject
    END IF;
    RAISE EXCEPTION 'audit.entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON audit.entries FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON audit.entries FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

-- Retention and erasure find a tenant's job items by image (an image stays while an item needs it).
CREATE INDEX IF NOT EXISTS items_image_idx ON jobs.items (image_sha256) WHERE image_sha256 IS NOT NULL;
