-- Account history: every action the service took or saw for a Cyclr account, oldest first (seq).
-- Rows derived from job events are written in the transaction that writes those events; fleets and
-- credential checks add theirs directly. owner: the caller who owns the job or fleet (a non-admin
-- sees only its own); dedupe: set for facts recorded once (a cycle installed or activated by a job),
-- so a repeated event adds nothing. detail is JSON without auth values or sign-in URLs.
CREATE TABLE account_history (
  seq         BIGSERIAL PRIMARY KEY,
  account     TEXT NOT NULL,
  at          TEXT NOT NULL,
  kind        TEXT NOT NULL,
  job_id      TEXT,
  fleet       TEXT,
  owner       TEXT,
  detail      TEXT NOT NULL,
  dedupe      TEXT UNIQUE
);
CREATE INDEX account_history_by_account ON account_history (account, seq);
CREATE INDEX account_history_by_time ON account_history (at);
