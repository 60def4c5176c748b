-- Dataset versions (issue 26): immutable and content-addressed. A version's id is the sha256 of
-- its canonical manifest (the class map, the canonical COCO annotations' sha256, every image's
-- sha256 and split), so cutting the same content twice names the same version. The manifest is
-- not stored: it is rebuilt from the entries, which is also why an erased entry (tenant erase,
-- image delete, retention) leaves nothing of the tenant here while the version keeps its id and
-- reports itself incomplete.
CREATE SCHEMA IF NOT EXISTS datasets;

CREATE TABLE datasets.datasets (
    name        text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE datasets.versions (
    id                  char(64) PRIMARY KEY,          -- sha256 of the canonical manifest
    dataset             text NOT NULL REFERENCES datasets.datasets (name),
    parent              char(64),                      -- the version a cut was merged with
    schema              text NOT NULL,
    classes             jsonb NOT NULL,                -- [{"id":1,"name":"person"}, ...]
    annotations_sha256  char(64) NOT NULL,
    export_sha256       char(64) NOT NULL,
    images              integer NOT NULL,
    train               integer NOT NULL,
    val                 integer NOT NULL,
    test                integer NOT NULL,
    source              text NOT NULL CHECK (source IN ('import', 'cut')),
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX versions_dataset ON datasets.versions (dataset, created_at DESC, id);

CREATE TABLE datasets.entries (
    version_id     char(64) NOT NULL REFERENCES datasets.versions (id),
    ordinal        integer NOT NULL,                   -- position in the manifest (images by sha256)
    split          text NOT NULL CHECK (split IN ('train', 'val', 'test')),
    width          integer NOT NULL,
    height         integer NOT NULL,
    ext            text NOT NULL,
    -- Null once erased: the tenant, its image and what was drawn on it go; ordinal and split stay.
    tenant_id      uuid,
    image_sha256   char(64),
    annotations    jsonb,                              -- [["class", x, y, w, h, iscrowd], ...]
    erased_at      timestamptz,
    erased_reason  text,
    PRIMARY KEY (version_id, ordinal),
    CHECK ((erased_at IS NULL) = (tenant_id IS NOT NULL AND image_sha256 IS NOT NULL AND annotations IS NOT NULL))
);

CREATE INDEX entries_image ON datasets.entries (tenant_id, image_sha256) WHERE erased_at IS NULL;
