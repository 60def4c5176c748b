-- Issue 23: model artifacts in PostgreSQL, readable by every instance of the region without a
-- shared disk (the registry's `db:<sha256>` artifacts). Content-addressed: the key is the content's
-- sha256, so an upload is idempotent and a row never changes. Each instance keeps a local copy
-- (Models:ArtifactCacheDirectory) and checks it by sha256 before every load.
CREATE TABLE models.artifacts (
    sha256       char(64) PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    content      bytea NOT NULL,
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE models.artifacts ALTER COLUMN content SET STORAGE EXTERNAL; -- already compressed weights: no TOAST compression
