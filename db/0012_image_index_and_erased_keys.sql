-- Issue 20: images nothing holds are removed, and an erased tenant's data key stays erased.
--
-- images.stored is the index of what the image store holds, whatever the backend (PostgreSQL,
-- S3, a local folder): one row per (tenant, sha256), written before the blob and removed after
-- it, so the index always covers the store. touched_at is the service clock's time of the last
-- put of those bytes: the orphan sweep removes an image only when no put touched it within the
-- grace period (ImageStore:OrphanGraceMinutes) and no result or job item names it; it decides
-- and deletes holding the row's lock, which a put of the same bytes needs too.
CREATE TABLE images.stored (
    tenant_id   uuid NOT NULL,
    sha256      char(64) NOT NULL,
    touched_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

CREATE INDEX stored_touched_idx ON images.stored (touched_at);

-- Blobs of the PostgreSQL backend stored before this migration, touched now: none is removed
-- before a full grace period has passed. (S3 and local objects from before it are indexed by
-- `images index`.)
INSERT INTO images.stored (tenant_id, sha256, touched_at)
SELECT tenant_id, sha256, now() FROM images.blobs
ON CONFLICT DO NOTHING;

-- An erased tenant's data key row is deleted (a tenant erase leaves no row naming the tenant),
-- and this tombstone, keyed by a digest of the tenant id, refuses every new key for it: no image
-- of an erased tenant is sealed again. It supersedes the tombstone row 0008 describes
-- (wrapped_key NULL, destroyed_at set), which still named the tenant; those rows move here.
CREATE TABLE images.erased_tenants (
    tenant_digest  bytea PRIMARY KEY CHECK (length(tenant_digest) = 32),
    erased_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO images.erased_tenants (tenant_digest, erased_at)
SELECT sha256(convert_to('detector-images-erased:' || tenant_id::text, 'UTF8')), destroyed_at
FROM images.tenant_keys WHERE wrapped_key IS NULL
ON CONFLICT DO NOTHING;

DELETE FROM images.tenant_keys WHERE wrapped_key IS NULL;

COMMENT ON TABLE images.tenant_keys IS
    'Live data keys only, wrapped under a master key. Erasing a tenant deletes its row and records the tenant in images.erased_tenants (0012).';
COMMENT ON TABLE images.erased_tenants IS
    'Tombstones of erased tenants'' data keys: sha256(''detector-images-erased:'' || tenant_id::text). A digest present refuses a new key.';
