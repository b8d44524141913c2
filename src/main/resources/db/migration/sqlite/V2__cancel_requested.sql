-- A cancel must survive a restart: the job resumes only to finish what was in flight.
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
-- Items found RUNNING at start-up (in flight when the process died): they are always checked at
-- Cyclr and finished, even in a cancelled job, because they may have been installed.
ALTER TABLE items ADD COLUMN recovered INTEGER NOT NULL DEFAULT 0;
