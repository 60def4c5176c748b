-- Jobs owns asynchronous ingestion: a job is a batch of images (uploaded or fetched from URLs)
-- processed by Hangfire workers (schema `hangfire`, created by Hangfire.PostgreSql itself).
-- Every item row is written in the same transaction as its job, before the 202 answer, so an
-- accepted image is never lost; item state changes are guarded (UPDATE ... WHERE state IN ...)
-- and results are keyed by (job_id, idx), so a retried or duplicated execution writes nothing twice.
CREATE SCHEMA IF NOT EXISTS jobs;

CREATE TABLE jobs.jobs (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    status             text NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'running', 'succeeded', 'partially_failed', 'failed', 'cancelled')),
    source             text NOT NULL CHECK (source IN ('upload', 'urls', 'sync_fallback')),
    priority           text NOT NULL DEFAULT 'normal' CHECK (priority IN ('high', 'normal', 'low')),
    model              text,
    min_score          real,
    iou                real,
    max_detections     integer,
    callback_url       text,
    -- scheme://host of the submitting request, for absolute URLs in webhooks.
    base_url           text,
    total              integer NOT NULL CHECK (total > 0),
    succeeded          integer NOT NULL DEFAULT 0,
    failed             integer NOT NULL DEFAULT 0,
    cancelled          integer NOT NULL DEFAULT 0,
    cancel_requested   boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    -- null: no callback_url; pending: to deliver (or being retried); delivered; failed (gave up).
    webhook_status     text CHECK (webhook_status IN ('pending', 'delivered', 'failed')),
    webhook_job_id     text,
    webhook_updated_at timestamptz
);

CREATE INDEX jobs_tenant_created_idx ON jobs.jobs (tenant_id, created_at DESC);
CREATE INDEX jobs_status_idx ON jobs.jobs (status) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_webhook_pending_idx ON jobs.jobs (webhook_updated_at) WHERE webhook_status = 'pending';

CREATE TABLE jobs.items (
    job_id           uuid NOT NULL REFERENCES jobs.jobs (id) ON DELETE CASCADE,
    idx              integer NOT NULL CHECK (idx >= 0),
    file_name        text,
    url              text,
    image_sha256     char(64),
    queue            text NOT NULL DEFAULT 'default',
    state            text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    error_code       text,
    error_detail     text,
    result_id        uuid,
    processed_by     text,
    hangfire_job_id  text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    PRIMARY KEY (job_id, idx),
    CHECK (url IS NOT NULL OR image_sha256 IS NOT NULL)
);

-- The recovery sweep looks only at open items.
CREATE INDEX items_open_idx ON jobs.items (updated_at) WHERE state IN ('queued', 'running');

CREATE TABLE jobs.webhook_attempts (
    job_id        uuid NOT NULL REFERENCES jobs.jobs (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   double precision NOT NULL,
    PRIMARY KEY (job_id, attempt)
);
