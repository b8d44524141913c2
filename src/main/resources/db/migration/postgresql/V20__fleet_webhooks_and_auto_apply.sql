-- Fleet webhooks (fleet.converged, fleet.drifted, fleet.halted) go through the same outbox as job
-- webhooks, written in the transaction that changes the fleet's status. They belong to a fleet, not a
-- job: job_id becomes optional and fleet names the fleet.
ALTER TABLE webhook_deliveries ALTER COLUMN job_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN fleet TEXT;

-- policy.autoApply, kept beside the spec so that the fleet loop finds, in one query, the
-- fleets whose changed spec (generation above applied_generation) it must plan and apply by itself.
ALTER TABLE fleets ADD COLUMN auto_apply INTEGER NOT NULL DEFAULT 0;
