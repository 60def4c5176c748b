-- Issue 21: jobs.jobs.base_url (the submitting request's scheme://host, meant for webhook links)
-- is read by nothing: webhook links start with Deployment:PublicBaseUrl, never with a request's
-- Host header (ADR 0009), and no version since has written it.
ALTER TABLE jobs.jobs DROP COLUMN IF EXISTS base_url;
