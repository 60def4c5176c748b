-- Recovery without reading Hangfire's tables (ADR 0006). A worker claims an item with a lease
-- (lease_owner = one random id per process start, lease_until renewed while that process
-- lives); an expired lease makes the item claimable again and the recovery sweep re-dispatches
-- it. hangfire_job_id is the item's dispatch ticket: NULL means no Hangfire job will run it
-- (never enqueued, or its job failed or was deleted), which the sweep also re-dispatches.
ALTER TABLE jobs.items
    ADD COLUMN lease_owner uuid,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN claimed_at  timestamptz;

-- Lease renewal and release: one UPDATE per process per interval over its own running items.
CREATE INDEX items_lease_owner_idx ON jobs.items (lease_owner) WHERE state = 'running';
-- Expired leases (NULL: claimed by a version without leases; treated as expired).
CREATE INDEX items_lease_until_idx ON jobs.items (lease_until) WHERE state = 'running';
-- Items waiting for a dispatch ticket.
CREATE INDEX items_undispatched_idx ON jobs.items (updated_at) WHERE state = 'queued' AND hangfire_job_id IS NULL;
-- Tickets cleared when their Hangfire job fails or is deleted.
CREATE INDEX items_ticket_idx ON jobs.items (hangfire_job_id) WHERE state = 'queued';

CREATE INDEX jobs_webhook_undispatched_idx ON jobs.jobs (webhook_updated_at)
    WHERE webhook_status = 'pending' AND webhook_job_id IS NULL;
DROP INDEX IF EXISTS jobs.jobs_webhook_pending_idx;
