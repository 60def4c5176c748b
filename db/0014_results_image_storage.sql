-- Whether a result's image is in the store (issue 22, ADR 0016): the sync API answers once the
-- detection is done and stores the photo behind the answer, so a result may name an image that
-- is still being written. 'stored', 'pending' (the put runs on the instance that answered),
-- 'not_stored' (the plan keeps no images, the put failed, or its instance died before it
-- finished); NULL for results recorded before this column, whose document says nothing either.
-- The same state is in document->'image' ("storage", "not_stored_reason"), which is what the
-- API serves; this column is what the sweep of interrupted puts and the image references read.
ALTER TABLE results.results ADD COLUMN IF NOT EXISTS image_storage text
    CHECK (image_storage IN ('stored', 'pending', 'not_stored'));

-- The sweep of puts whose instance died: only the few pending rows, oldest first.
CREATE INDEX IF NOT EXISTS results_pending_image_idx ON results.results (created_at) WHERE image_storage = 'pending';
