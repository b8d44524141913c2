-- Streamed intake: a big job's items are written in batches under a job row with status INTAKE,
-- which no query shows and no dispatcher claims, then the row turns PENDING in one statement.
-- intake_heartbeat (epoch ms, database clock) is renewed by every batch; an INTAKE job whose node
-- stopped renewing it (crashed mid-upload) is deleted by any node.
ALTER TABLE jobs ADD COLUMN intake_heartbeat INTEGER;
