-- Issue 23: a plan may name the model (or a pinned version or alias, name@version, name@alias) a
-- tenant's requests get when they name none. NULL: the service's default model.
ALTER TABLE tenancy.plans
    ADD COLUMN default_model text CHECK (default_model ~ '^[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?$' AND length(default_model) <= 100);
