-- Event log: every item and job event, written in the same transaction as the change it describes,
-- numbered per job without gaps (jobs.event_seq is the last number used; the job row lock orders
-- writers). The SSE stream reads it, so any node can serve any job and a reconnect resumes exactly.
ALTER TABLE jobs ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE job_events (
  job_id      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);

-- Webhook outbox: one row per event to deliver (WEBHOOK_EVENTS), written with the event. id is the
-- webhook-id, the same on every attempt. Leased by one sender at a time (lease_owner, lease_until
-- on the database clock); window_start_ms starts the retry window (reset by a replay).
CREATE TABLE webhook_deliveries (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL UNIQUE,
  type              TEXT NOT NULL,
  job_id            TEXT NOT NULL,
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
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (status, seq);

-- Endpoints that answered 410 Gone (by SHA-256 of the URL): nothing is sent to them until a replay.
CREATE TABLE webhook_endpoints (
  url_hash         TEXT PRIMARY KEY,
  disabled_at      TEXT NOT NULL,
  disabled_reason  TEXT NOT NULL
);
