-- Fleets: a named, versioned desired state. spec holds the fleet's job fields and policy (no tenants,
-- no auth values); spec_print is a keyed fingerprint of spec and tenants, so a PUT of the same fleet
-- changes nothing (generation stays). rollout and drift are small JSON objects the fleet service keeps.
CREATE TABLE fleets (
  name                TEXT PRIMARY KEY,
  owner               TEXT NOT NULL,
  generation          INTEGER NOT NULL,
  applied_generation  INTEGER,
  spec                TEXT NOT NULL,
  spec_print          TEXT NOT NULL,
  tenant_count        INTEGER NOT NULL,
  status              TEXT NOT NULL,
  rollout             TEXT,
  drift               TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  last_reconcile_at   TEXT,
  next_reconcile_at   TEXT
);

-- A streamed PUT writes its tenants here in batches (hidden), then one transaction moves them into
-- fleet_tenants. heartbeat is epoch ms on the database clock; an intake whose node stopped renewing
-- it is deleted by the next intake on any node.
CREATE TABLE fleet_intakes (
  id         TEXT PRIMARY KEY,
  fleet      TEXT NOT NULL,
  heartbeat  INTEGER NOT NULL
);
CREATE TABLE fleet_intake_tenants (
  intake      TEXT NOT NULL,
  account     TEXT NOT NULL,
  spec        TEXT,
  auth_value  TEXT,
  PRIMARY KEY (intake, account)
);

-- One row per account a fleet wants (in_spec = 1) or installed something for and no longer wants
-- (in_spec = 0: a prune candidate). auth_value is AES-GCM ciphertext, kept while the tenant is in the
-- spec (a reinstall after drift needs it) and wiped when it leaves. installed_connector and
-- installed_cycle say what this fleet installed, so prune and rollback remove only that.
CREATE TABLE fleet_tenants (
  fleet                 TEXT NOT NULL,
  account               TEXT NOT NULL,
  in_spec               INTEGER NOT NULL,
  spec                  TEXT,
  auth_value            TEXT,
  state                 TEXT NOT NULL,
  account_connector_id  INTEGER,
  authenticated         INTEGER,
  cycle_id              TEXT,
  cycle_status          TEXT,
  installed_connector   INTEGER NOT NULL DEFAULT 0,
  installed_cycle       INTEGER NOT NULL DEFAULT 0,
  drift                 TEXT,
  last_checked_at       TEXT,
  url                   TEXT,
  PRIMARY KEY (fleet, account)
);
CREATE INDEX fleet_tenants_by_state ON fleet_tenants (fleet, state, account);
