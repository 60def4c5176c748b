-- Jobs signs each tenant's webhooks with that tenant's own secret (one shared secret let every
-- tenant forge webhooks to every other). A secret is never stored: it is derived from the
-- server's master key (Jobs:Webhooks:SigningSecret) and this row's random salt, so the database
-- alone does not reveal it. Rotation adds a row and gives the previous ones a retirement time;
-- until then deliveries carry a signature for each.
CREATE TABLE jobs.webhook_secrets (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    salt        bytea NOT NULL CHECK (length(salt) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retires_at  timestamptz
);

CREATE INDEX webhook_secrets_by_tenant ON jobs.webhook_secrets (tenant_id, created_at DESC);
