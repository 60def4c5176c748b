-- Images become per tenant and encrypted at rest (ADR 0011). A blob is keyed by (tenant, sha256):
-- the same photo uploaded by two tenants is two blobs under two data keys, and one tenant's
-- upload can no longer tell whether another's exists. New blobs are sealed with AES-256-GCM under
-- the tenant's data key; rows written before this migration stay readable as they are (an image's
-- own signature, not the sealed blob's "DTI1", comes first) until retention removes them.
ALTER TABLE images.blobs ADD COLUMN tenant_id uuid;
ALTER TABLE images.blobs DROP CONSTRAINT blobs_pkey;

-- Each tenant that references a shared image gets its own copy; images no result or job item
-- references (uploads refused after they were stored) are dropped.
INSERT INTO images.blobs (tenant_id, sha256, length, content, created_at)
SELECT DISTINCT ON (r.tenant_id, b.sha256) r.tenant_id, b.sha256, b.length, b.content, b.created_at
FROM images.blobs b
JOIN (
    SELECT tenant_id, image_sha256 FROM results.results
    UNION
    SELECT j.tenant_id, i.image_sha256 FROM jobs.items i JOIN jobs.jobs j ON j.id = i.job_id WHERE i.image_sha256 IS NOT NULL
) r ON r.image_sha256 = b.sha256
WHERE b.tenant_id IS NULL;

DELETE FROM images.blobs WHERE tenant_id IS NULL;
ALTER TABLE images.blobs ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE images.blobs ADD PRIMARY KEY (tenant_id, sha256);

-- Each tenant's 256-bit data key, only ever stored wrapped under a master key (named by its id).
-- Destroying a tenant's key (wrapped_key NULL, destroyed_at set) makes all its blobs unreadable
-- everywhere at once, backups included; the row stays as a tombstone so no new key is made.
CREATE TABLE images.tenant_keys (
    tenant_id      uuid PRIMARY KEY,
    master_key_id  text,
    wrapped_key    bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    destroyed_at   timestamptz,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK ((wrapped_key IS NULL) = (master_key_id IS NULL))
);
