-- A cancel must survive a restart: the job resumes only to let nothing new start.
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
