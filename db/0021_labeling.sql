-- Labeling owns the data loop's human half (issue 26, ADR 0023): feedback on served results, the
-- labelers (people, not tenants) and the tenants' grants to them, the queue of items with their
-- label sets and assignments, and the production/shadow disagreements the queue may pick from.
-- Every row of a tenant's data carries tenant_id, so a tenant erase removes it by that column.
CREATE SCHEMA IF NOT EXISTS labeling;

CREATE TABLE labeling.feedback (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    result_id       uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('box_added', 'box_removed', 'label_changed', 'result_wrong')),
    detection_index integer,
    box             jsonb,
    label           text,
    note            text,
    model_name      text NOT NULL,
    model_version   text NOT NULL,
    image_sha256    char(64),
    -- Whether it may feed the queue (the plan stores images and the image is stored); else a signal only.
    queued          boolean NOT NULL,
    -- Whether the sampler has looked at it (queued feedback only).
    sampled         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL
);
CREATE INDEX feedback_result_idx ON labeling.feedback (tenant_id, result_id, created_at);
CREATE INDEX feedback_unsampled_idx ON labeling.feedback (created_at) WHERE queued AND NOT sampled;

CREATE TABLE labeling.labelers (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL CHECK (role IN ('labeler', 'reviewer')),
    key_hash   bytea NOT NULL UNIQUE,
    key_prefix text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE labeling.grants (
    tenant_id  uuid NOT NULL,
    labeler_id uuid NOT NULL REFERENCES labeling.labelers (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, labeler_id)
);
CREATE INDEX grants_labeler_idx ON labeling.grants (labeler_id);

CREATE TABLE labeling.items (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    result_id     uuid NOT NULL UNIQUE,
    image_sha256  char(64) NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    model_name    text NOT NULL,
    model_version text NOT NULL,
    strategy      text NOT NULL,
    suggestions   jsonb NOT NULL,
    state         text NOT NULL CHECK (state IN ('open', 'disputed', 'final')),
    final_boxes   jsonb,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    final_at      timestamptz
);
CREATE INDEX items_open_idx ON labeling.items (created_at, id) WHERE state <> 'final';
CREATE INDEX items_final_idx ON labeling.items (final_at, id) WHERE state = 'final';
CREATE INDEX items_tenant_idx ON labeling.items (tenant_id, strategy, created_at);
CREATE INDEX items_image_idx ON labeling.items (tenant_id, image_sha256);

-- One labeler's boxes for an item (kind 'label'), or a reviewer's decision (kind 'review').
-- agreed: whether this label set matched the other's (set when the second arrives);
-- matches_final: whether it matched the reviewer's final boxes (set at review).
CREATE TABLE labeling.label_sets (
    item_id       uuid NOT NULL REFERENCES labeling.items (id) ON DELETE CASCADE,
    labeler_id    uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('label', 'review')),
    tenant_id     uuid NOT NULL,
    boxes         jsonb NOT NULL,
    agreed        boolean,
    matches_final boolean,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (item_id, labeler_id, kind)
);
CREATE INDEX label_sets_labeler_idx ON labeling.label_sets (labeler_id);

CREATE TABLE labeling.assignments (
    item_id    uuid NOT NULL REFERENCES labeling.items (id) ON DELETE CASCADE,
    labeler_id uuid NOT NULL,
    tenant_id  uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (item_id, labeler_id)
);

CREATE TABLE labeling.disagreements (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    model_name         text NOT NULL,
    production_version text NOT NULL,
    candidate_version  text NOT NULL,
    image_sha256       char(64) NOT NULL,
    agreement          double precision NOT NULL,
    created_at         timestamptz NOT NULL
);
CREATE INDEX disagreements_image_idx ON labeling.disagreements (tenant_id, image_sha256);
CREATE INDEX disagreements_created_idx ON labeling.disagreements (created_at);

-- The sampler's position in the results feed: the created_at of the last result it considered.
-- Only a time, never a result id, so it names no tenant's data. A new install starts from now.
CREATE TABLE labeling.sampler_cursor (
    id         integer PRIMARY KEY CHECK (id = 1),
    created_at timestamptz NOT NULL
);
INSERT INTO labeling.sampler_cursor (id, created_at) VALUES (1, now()) ON CONFLICT (id) DO NOTHING;

-- Results' feed (IResultFeed) reads every tenant's results by creation: Results' table, indexed
-- here because this migration brings its only reader.
CREATE INDEX IF NOT EXISTS results_created_idx ON results.results (created_at, id);
