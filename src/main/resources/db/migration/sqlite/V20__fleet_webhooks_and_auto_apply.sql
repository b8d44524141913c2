-- Fleet webhooks (fleet.converged, fleet.drifted, fleet.halted) go through the same outbox as job
-- webhooks, written in the transaction that changes the fleet's status. They belong to a fleet, not a
-- job: job_id becomes optional and fleet names the fleet. SQLite cannot drop a NOT NULL, so the table
-- is rebuilt with its rows and indexes.
CREATE TABLE webhook_deliveries_v20 (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL UNIQUE,
  type              TEXT NOT NULL,
  job_id            TEXT,
  fleet             TEXT,
  owner             TEXT NOT NULL,
  payload           TEXT NOT NULL,
  status            TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL,
  window_start_ms   INTEGER NOT NULL,
  next_attempt_ms   INTEGER NOT NULL,
  lease_owner       TEXT,
  lease_until       INTEGER,
  last_attempt_at   TEXT,
  last_http_status  INTEGER,
  last_error        TEXT,
  finished_at       TEXT
);
INSERT INTO webhook_deliveries_v20 (seq, id, type, job_id, owner, payload, status, attempts, created_at,
    window_start_ms, next_attempt_ms, lease_owner, lease_until, last_attempt_at, last_http_status, last_error,
    finished_at)
  SELECT seq, id, type, job_id, owner, payload, status, attempts, created_at, window_start_ms, next_attempt_ms,
    lease_owner, lease_until, last_attempt_at, last_http_status, last_error, finished_at FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_v20 RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (status, seq);

-- policy.autoApply, kept beside the spec so that the fleet loop finds, in one query, the
-- fleets whose changed spec (generation above applied_generation) it must plan and apply by itself.
ALTER TABLE fleets ADD COLUMN auto_apply INTEGER NOT NULL DEFAULT 0;
