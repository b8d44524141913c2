-- Jobs: the request spec without auth values, and lifecycle fields.
CREATE TABLE jobs (
  id               TEXT PRIMARY KEY,
  seq              BIGSERIAL NOT NULL,
  status           TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  finished_at      TEXT,
  total            INTEGER NOT NULL,
  spec             TEXT NOT NULL,
  idempotency_key  TEXT UNIQUE,
  request_print    TEXT
);
CREATE INDEX jobs_by_seq ON jobs (seq);
CREATE INDEX jobs_by_status ON jobs (status);

-- Items: one (account x connector) install. auth_value is AES-GCM ciphertext, wiped when done.
CREATE TABLE items (
  id                    BIGSERIAL PRIMARY KEY,
  job_id                TEXT NOT NULL REFERENCES jobs (id),
  account               TEXT NOT NULL,
  spec                  TEXT,
  auth_value            TEXT,
  status                TEXT NOT NULL,
  attempts              INTEGER NOT NULL DEFAULT 0,
  connector_id          BIGINT,
  account_connector_id  BIGINT,
  oauth_url             TEXT,
  oauth_expires_at      TEXT,
  error                 TEXT,
  updated_at            TEXT
);
CREATE INDEX items_by_job_status ON items (job_id, status, id);
CREATE INDEX items_by_status ON items (status);
