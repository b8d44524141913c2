-- Streamed intake: a big job's items are written in batches under a job row with status INTAKE,
-- which no query shows and no dispatcher claims, then the row turns PENDING in one statement.
-- intake_heartbeat (epoch ms, database clock) is renewed by every batch; an INTAKE job whose node
-- stopped renewing it (crashed mid-upload) is deleted by any node.
ALTER TABLE jobs ADD COLUMN intake_heartbeat BIGINT;

-- A job's items in id order (the items API's keyset pages and the streamed reports): without it each
-- page of a big job sorted all of the job's items again.
CREATE INDEX items_by_job_id ON items (job_id, id);
