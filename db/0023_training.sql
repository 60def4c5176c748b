-- Issue 26: training-run records and the dataset identity of evaluations.
--
-- A training run is recorded by the external trainer once it produced a model version: the
-- version (and its artifact's sha256), the dataset version it trained on with the hash of the
-- export it read, its configuration, seed, code and container image, and its metrics. The row is
-- immutable; record_sha256 is the sha256 of the record's canonical JSON (record), so anyone can
-- check later that the record is the one the server accepted.
CREATE SCHEMA IF NOT EXISTS training;

CREATE TABLE training.runs (
    id               uuid PRIMARY KEY,
    model            text NOT NULL,
    version          text NOT NULL,
    artifact_sha256  char(64) NOT NULL CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    dataset_version  char(64) NOT NULL CHECK (dataset_version ~ '^[0-9a-f]{64}$'),
    export_sha256    char(64) NOT NULL CHECK (export_sha256 ~ '^[0-9a-f]{64}$'),
    config           jsonb NOT NULL,          -- {search_space: {...}, chosen: {...}}
    seed             bigint NOT NULL,
    code_version     text NOT NULL,
    image_digest     text NOT NULL CHECK (image_digest ~ '^sha256:[0-9a-f]{64}$'),
    metrics          jsonb NOT NULL,
    record           text NOT NULL,           -- the canonical JSON the hash is over, byte for byte
    record_sha256    char(64) NOT NULL UNIQUE CHECK (record_sha256 ~ '^[0-9a-f]{64}$'),
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX runs_version_idx ON training.runs (model, version, recorded_at);
CREATE INDEX runs_dataset_idx ON training.runs (dataset_version);

-- Append only: a record is evidence of how a version was made.
CREATE FUNCTION training.runs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'training.runs is append-only';
END $$;

CREATE TRIGGER runs_append_only BEFORE UPDATE OR DELETE ON training.runs
    FOR EACH ROW EXECUTE FUNCTION training.runs_append_only();

-- Evaluations name their data by content: a dataset version (with its split) or a COCO folder,
-- and for every evaluation the sha256 of the annotations file it scored against (set when a run
-- starts; a resumed run with other annotations fails). A dataset-version evaluation has no folder.
ALTER TABLE evaluation.evaluations
    ALTER COLUMN annotations DROP NOT NULL,
    ALTER COLUMN images DROP NOT NULL,
    ADD COLUMN dataset_version char(64) CHECK (dataset_version ~ '^[0-9a-f]{64}$'),
    ADD COLUMN split text CHECK (split IN ('train', 'val', 'test', 'all')),
    ADD COLUMN annotations_sha256 char(64) CHECK (annotations_sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT evaluations_dataset_named CHECK (
        (dataset_version IS NULL AND split IS NULL AND annotations IS NOT NULL AND images IS NOT NULL)
        OR (dataset_version IS NOT NULL AND split IS NOT NULL AND annotations IS NULL AND images IS NULL));

CREATE INDEX evaluations_version_idx ON evaluation.evaluations (model_name, version, finished_at) WHERE state = 'succeeded';
