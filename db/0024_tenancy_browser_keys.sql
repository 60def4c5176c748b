-- Issue 27: browser keys and CORS (ADR 0027). A key is 'secret' (every key so far) or 'browser':
-- a browser key may call only the endpoints that opt in, only from its tenant's allowed origins,
-- under its own, tighter rate limit.
ALTER TABLE tenancy.api_keys
    ADD COLUMN kind text NOT NULL DEFAULT 'secret' CHECK (kind IN ('secret', 'browser'));

-- The origins (scheme://host[:port], exact match) a tenant's web apps call from; empty: none.
ALTER TABLE tenancy.tenants
    ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}' CHECK (cardinality(allowed_origins) <= 100);

-- A plan's rate for browser keys; NULL (plans stored before): the configured plan's, else the option's default.
ALTER TABLE tenancy.plans
    ADD COLUMN browser_requests_per_second double precision CHECK (browser_requests_per_second > 0),
    ADD COLUMN browser_burst integer CHECK (browser_burst > 0);

-- Browser keys draw from a bucket of their own, beside the tenant's.
ALTER TABLE tenancy.rate_buckets
    ADD COLUMN kind text NOT NULL DEFAULT 'secret' CHECK (kind IN ('secret', 'browser'));
ALTER TABLE tenancy.rate_buckets DROP CONSTRAINT rate_buckets_pkey;
ALTER TABLE tenancy.rate_buckets ADD PRIMARY KEY (tenant_id, kind);
