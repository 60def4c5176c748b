-- An Idempotency-Key record names what its answer is about (the result or job the request
-- created), so deleting that (a result delete, a job erase, retention) forgets the record: a
-- repeat then runs as a new request instead of replaying what was deleted.
ALTER TABLE tenancy.idempotency ADD COLUMN subject_id uuid;

CREATE INDEX idempotency_subject_idx ON tenancy.idempotency (tenant_id, subject_id) WHERE subject_id IS NOT NULL;
