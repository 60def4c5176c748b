-- Results owns stored detection results. Every row carries its tenant and every query filters
-- on it; the listing index serves newest-first keyset pagination per tenant.
CREATE SCHEMA IF NOT EXISTS results;

CREATE TABLE results.results (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    source         text NOT NULL DEFAULT 'sync',
    model_name     text NOT NULL,
    model_version  text NOT NULL,
    image_sha256   char(64) NOT NULL,
    image_width    integer NOT NULL,
    image_height   integer NOT NULL,
    document       jsonb NOT NULL
);

CREATE INDEX results_tenant_created_idx ON results.results (tenant_id, created_at DESC, id DESC);
CREATE INDEX results_image_idx ON results.results (image_sha256);
