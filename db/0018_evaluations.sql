-- Evaluation jobs (issue 25): a model version scored on a COCO dataset in the background. Each
-- image's detections are kept as they are made, so a run killed half way resumes where it was and
-- the report is computed from every image's row, the same as an uninterrupted run's.
CREATE SCHEMA IF NOT EXISTS evaluation;

CREATE TABLE evaluation.evaluations (
    id            uuid PRIMARY KEY,
    model         text NOT NULL,             -- the selector as asked: name, name@version, name@alias
    model_name    text NOT NULL,
    version       text NOT NULL,             -- resolved when accepted: a resumed run scores the same version
    sha256        text NOT NULL,
    annotations   text NOT NULL,             -- relative to Evaluation:DatasetRoot
    images        text NOT NULL,
    state         text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    images_total  integer NOT NULL DEFAULT 0,
    images_done   integer NOT NULL DEFAULT 0,
    runs          integer NOT NULL DEFAULT 0,   -- 2 or more: resumed after a crash or a retry
    report        jsonb,
    error         text,
    requested_by  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);

CREATE INDEX evaluations_created ON evaluation.evaluations (created_at DESC, id DESC);

CREATE TABLE evaluation.evaluation_images (
    evaluation_id uuid NOT NULL REFERENCES evaluation.evaluations (id) ON DELETE CASCADE,
    image_id      bigint NOT NULL,
    detections    jsonb NOT NULL,            -- [[category_id, x, y, w, h, score], ...]
    latency_ms    double precision NOT NULL,
    PRIMARY KEY (evaluation_id, image_id)
);
