-- A fleet's plans: what each tenant needs (action, reason, drift found), read from Cyclr at one
-- generation. state_version counts changes of the tenants' live state as observed (a plan or a
-- reconcile that saw something else than before raises it): a plan is stale when the fleet's
-- generation or state_version moved since it was made.
ALTER TABLE fleets ADD COLUMN state_version INTEGER NOT NULL DEFAULT 0;

-- An apply in progress lives here, not in a node's memory: the plan, the step running (0-based) and
-- its job, and when the next step may start (after the policy's pause; epoch ms). Any node's fleet
-- loop holds the fleet's lease (lease_owner, lease_until on the database clock) while it moves an
-- apply on or reconciles; reconcile_due_ms is when the next reconcile is due.
ALTER TABLE fleets ADD COLUMN apply_plan TEXT;
ALTER TABLE fleets ADD COLUMN apply_step INTEGER;
ALTER TABLE fleets ADD COLUMN apply_job TEXT;
ALTER TABLE fleets ADD COLUMN apply_due_ms INTEGER;
ALTER TABLE fleets ADD COLUMN lease_owner TEXT;
ALTER TABLE fleets ADD COLUMN lease_until INTEGER;
ALTER TABLE fleets ADD COLUMN reconcile_due_ms INTEGER;

CREATE TABLE fleet_plans (
  id             TEXT PRIMARY KEY,
  fleet          TEXT NOT NULL,
  generation     INTEGER NOT NULL,
  state_version  INTEGER,
  status         TEXT NOT NULL,
  summary        TEXT,
  created_at     TEXT NOT NULL
);
CREATE INDEX fleet_plans_by_fleet ON fleet_plans (fleet, created_at);

-- step and job_id are set when an apply splits the changing tenants into its steps.
CREATE TABLE fleet_plan_actions (
  plan_id  TEXT NOT NULL,
  account  TEXT NOT NULL,
  action   TEXT NOT NULL,
  reason   TEXT,
  drift    TEXT,
  step     INTEGER,
  job_id   TEXT,
  PRIMARY KEY (plan_id, account)
);
CREATE INDEX fleet_plan_actions_by_action ON fleet_plan_actions (plan_id, action, account);
CREATE INDEX fleet_plan_actions_by_step ON fleet_plan_actions (plan_id, step, account);
