-- Images owns the bytes of uploaded images. This is the default backend of its store, so every
-- instance on this database reads what any instance stored, with no further component. Rows
-- are content-addressed (lower-case hex SHA-256) and written once: a second upload of the same
-- bytes changes nothing.
CREATE SCHEMA IF NOT EXISTS images;

CREATE TABLE images.blobs (
    sha256      char(64) PRIMARY KEY,
    length      bigint NOT NULL CHECK (length >= 0),
    content     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- JPEG, PNG and WebP bytes are already compressed: store them out of line without trying
-- pglz on every write.
ALTER TABLE images.blobs ALTER COLUMN content SET STORAGE EXTERNAL;
