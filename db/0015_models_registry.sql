-- Issue 23: the model registry, owned by the Models module.
--
-- A model is a name clients ask for; a version is one artifact (an ONNX file, addressed in the
-- artifact store and pinned by its sha256) with the manifest that feeds it. Aliases name versions
-- (production, canary, shadow, or any name) and every move of one is kept in alias_history, append
-- only, beside the audit log's entry. A change is announced with NOTIFY detector_models in its
-- transaction, so every instance re-reads the registry once it is committed.
CREATE SCHEMA IF NOT EXISTS models;

CREATE TABLE models.models (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- state: active versions are loaded by every instance; archived ones are unloaded and never
-- served again; refused ones failed their artifact check (state_reason says why) and are never
-- served. The first 12 hex digits of sha256 are the seed's version label, as before this change.
CREATE TABLE models.versions (
    model          text NOT NULL REFERENCES models.models (name),
    version        text NOT NULL CHECK (version ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
    artifact       text NOT NULL,
    sha256         char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes     bigint NOT NULL CHECK (size_bytes > 0),
    manifest       jsonb NOT NULL,
    precision      text NOT NULL CHECK (precision IN ('fp32', 'fp16', 'int8')),
    metrics        jsonb,
    registered_by  text NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    state          text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived', 'refused')),
    state_reason   text,
    state_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, version)
);

-- share: the part of the model's unpinned traffic the alias takes (a canary at 0.2, A/B variants);
-- production takes what the others leave. Subjects are placed by a hash, so a subject keeps its
-- variant and growing a share only adds subjects to it.
CREATE TABLE models.aliases (
    model     text NOT NULL,
    alias     text NOT NULL CHECK (alias ~ '^[a-z][a-z0-9_-]{0,31}$'),
    version   text NOT NULL,
    share     double precision NOT NULL DEFAULT 0 CHECK (share >= 0 AND share <= 1),
    moved_at  timestamptz NOT NULL DEFAULT now(),
    moved_by  text NOT NULL,
    CHECK (alias <> 'production' OR share = 0),
    PRIMARY KEY (model, alias),
    FOREIGN KEY (model, version) REFERENCES models.versions (model, version)
);

CREATE TABLE models.alias_history (
    id            bigserial PRIMARY KEY,
    model         text NOT NULL,
    alias         text NOT NULL,
    from_version  text,
    to_version    text,
    from_share    double precision,
    to_share      double precision,
    actor         text NOT NULL,
    reason        text,
    at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alias_history_model_idx ON models.alias_history (model, id);

-- Append only: the history is evidence of who served what when.
CREATE FUNCTION models.alias_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'models.alias_history is append-only';
END $$;

CREATE TRIGGER alias_history_append_only BEFORE UPDATE OR DELETE ON models.alias_history
    FOR EACH ROW EXECUTE FUNCTION models.alias_history_append_only();
