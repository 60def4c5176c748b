-- Issue 27: the key that created a result, so a browser key reads back only its own results
-- (ADR 0027). NULL for results made before this column and by job items.
ALTER TABLE results.results ADD COLUMN created_by_key uuid;
