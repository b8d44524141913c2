-- items_by_status cost every item insert and status change an index update, for one query: the count
-- of pending items (admission), which now walks items_by_job_status for the jobs still open. Queries on
-- RUNNING or OAUTH_PENDING items use their partial indexes (V3, V5).
DROP INDEX items_by_status;
