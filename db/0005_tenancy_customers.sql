-- Tenants as customers (ADR 0007): a plan per tenant, several API keys with a lifecycle, a
-- cluster-wide token bucket per tenant, daily/monthly image usage, and idempotency records.
-- Changes that must reach every instance at once (revocation, disabling, plan edits) are
-- announced with NOTIFY detector_tenancy, '<tenant id>' in the same transaction.

-- A tenant's plan is a copy taken when it is created or edited, so editing the configured
-- plans never silently changes an existing customer's contract. Tenants created before plans
-- existed have no row and get the configured default plan.
CREATE TABLE tenancy.plans (
    tenant_id           uuid PRIMARY KEY REFERENCES tenancy.tenants (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    requests_per_second double precision NOT NULL CHECK (requests_per_second > 0),
    burst               integer NOT NULL CHECK (burst >= 1),
    max_in_flight       integer NOT NULL CHECK (max_in_flight >= 1),
    daily_images        bigint NOT NULL CHECK (daily_images >= 0),
    monthly_images      bigint NOT NULL CHECK (monthly_images >= 0),
    max_image_bytes     bigint NOT NULL CHECK (max_image_bytes >= 1024),
    max_images_per_job  integer NOT NULL CHECK (max_images_per_job >= 1),
    allowed_priorities  text[] NOT NULL,
    retention_days      integer NOT NULL CHECK (retention_days >= 0),
    store_images        boolean NOT NULL,
    region              text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Keys are now HMAC-SHA256 (server secret) of the key; rows from before keep their plain
-- SHA-256 (hash_kind) until their first use re-hashes them. A rotated key keeps working
-- until expires_at.
ALTER TABLE tenancy.api_keys
    ADD COLUMN name         text,
    ADD COLUMN hash_kind    text NOT NULL DEFAULT 'sha256' CHECK (hash_kind IN ('sha256', 'hmac')),
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN expires_at   timestamptz;

-- The shared token bucket of each tenant; instances lease tokens from it in small blocks.
CREATE TABLE tenancy.rate_buckets (
    tenant_id  uuid PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Images counted per tenant and period (day, month), in UTC periods of the service's clock.
CREATE TABLE tenancy.usage (
    tenant_id    uuid NOT NULL,
    period       text NOT NULL CHECK (period IN ('day', 'month')),
    period_start date NOT NULL,
    images       bigint NOT NULL DEFAULT 0 CHECK (images >= 0),
    PRIMARY KEY (tenant_id, period, period_start)
);

-- Counts p_images against the day and the month together, or neither: the rows are locked in
-- a fixed order (day, then month), so concurrent callers on any instance serialise per tenant.
CREATE FUNCTION tenancy.consume_images(p_tenant uuid, p_day date, p_month date, p_images bigint, p_day_limit bigint, p_month_limit bigint)
RETURNS TABLE (granted boolean, day_used bigint, month_used bigint)
LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    m bigint;
BEGIN
    INSERT INTO tenancy.usage (tenant_id, period, period_start) VALUES (p_tenant, 'day', p_day), (p_tenant, 'month', p_month)
    ON CONFLICT DO NOTHING;
    SELECT images INTO d FROM tenancy.usage WHERE tenant_id = p_tenant AND period = 'day' AND period_start = p_day FOR UPDATE;
    SELECT images INTO m FROM tenancy.usage WHERE tenant_id = p_tenant AND period = 'month' AND period_start = p_month FOR UPDATE;
    IF d + p_images > p_day_limit OR m + p_images > p_month_limit THEN
        RETURN QUERY SELECT false, d, m;
        RETURN;
    END IF;
    UPDATE tenancy.usage SET images = images + p_images
    WHERE tenant_id = p_tenant AND ((period = 'day' AND period_start = p_day) OR (period = 'month' AND period_start = p_month));
    RETURN QUERY SELECT true, d + p_images, m + p_images;
END;
$$;

-- Idempotency-Key records (24 h): the first answer to a key, replayed byte for byte.
CREATE TABLE tenancy.idempotency (
    tenant_id    uuid NOT NULL,
    key          text NOT NULL,
    fingerprint  bytea,
    state        text NOT NULL CHECK (state IN ('running', 'done')),
    status       integer,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (tenant_id, key)
);

CREATE INDEX idempotency_created_idx ON tenancy.idempotency (created_at);
