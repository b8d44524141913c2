-- Templates and activation (issue 8): one row per account of a job with a template. Times in epoch
-- milliseconds on the database's clock. status is what the API shows; phase is what the account waits
-- for (ITEMS, SIGN_IN, WATCH, DONE, HALTED); next_at is when it is due for its next account step
-- (NULL: not by time). An account step is leased to one node like an item (lease_owner, lease_until).
CREATE TABLE accounts (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id          TEXT NOT NULL REFERENCES jobs (id),
  account         TEXT NOT NULL,
  status          TEXT NOT NULL,
  phase           TEXT NOT NULL,
  next_at         INTEGER,
  cycle_id        TEXT,
  prerequisites   TEXT,
  signins         TEXT,
  error           TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  recovered       INTEGER NOT NULL DEFAULT 0,
  watch_interval  INTEGER,
  watch_until     INTEGER,
  lease_owner     TEXT,
  lease_until     INTEGER,
  updated_at      TEXT,
  UNIQUE (job_id, account)
);
-- Two account steps of one Cyclr account never run at the same time, anywhere: the database refuses it.
CREATE UNIQUE INDEX accounts_one_running_per_account ON accounts (account) WHERE lease_owner IS NOT NULL;
CREATE INDEX accounts_due ON accounts (next_at) WHERE next_at IS NOT NULL AND lease_owner IS NULL;
CREATE INDEX accounts_running_by_lease ON accounts (lease_until) WHERE lease_owner IS NOT NULL;
CREATE INDEX accounts_waiting_by_phase ON accounts (phase) WHERE phase IN ('ITEMS', 'SIGN_IN');
CREATE INDEX accounts_by_job_status ON accounts (job_id, status, id);
-- An account's items in a job: its readiness is read from them.
CREATE INDEX items_by_job_account ON items (job_id, account, status);
