-- What a fleet installed at Cyclr, by id (issue 17, prune): prune, DELETE ?uninstall=true and rollback remove
-- these and nothing else. fleet_connector_id / fleet_cycle_id: the account connector and the cycle this fleet
-- installed for the tenant (NULL: none, or removed since). A removal in progress is claimed per tenant
-- (removal_owner until removal_until, epoch ms on the database clock) within a pass (removal_pass: the plan, the
-- rollback or the delete it belongs to), so two nodes never remove the same tenant's installs at once, and a
-- tenant a pass already handled is not tried again in that pass.
ALTER TABLE fleet_tenants ADD COLUMN fleet_connector_id INTEGER;
ALTER TABLE fleet_tenants ADD COLUMN fleet_cycle_id TEXT;
ALTER TABLE fleet_tenants ADD COLUMN removal_pass TEXT;
ALTER TABLE fleet_tenants ADD COLUMN removal_owner TEXT;
ALTER TABLE fleet_tenants ADD COLUMN removal_until INTEGER;
UPDATE fleet_tenants SET fleet_connector_id = account_connector_id WHERE installed_connector = 1;

-- What one apply installed on each of its plan's lines: a rollback of that apply removes exactly these.
ALTER TABLE fleet_plan_actions ADD COLUMN installed_connector_id INTEGER;
ALTER TABLE fleet_plan_actions ADD COLUMN installed_cycle_id TEXT;

-- 1: the apply of this plan runs its UNINSTALL lines (prune within maxPrunePercent, or confirmed).
ALTER TABLE fleet_plans ADD COLUMN prunes INTEGER NOT NULL DEFAULT 0;
