-- Each scored image's core-milliseconds (issue 25's cost): the report gives the version's compute
-- and cost per image beside its accuracy.
ALTER TABLE evaluation.evaluation_images ADD COLUMN core_ms double precision NOT NULL DEFAULT 0;
