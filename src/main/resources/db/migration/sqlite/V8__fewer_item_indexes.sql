-- Fewer index updates per item: every insert and every status change of an item paid for these.
-- items_by_status served one query, the count of pending items (admission), which now walks
-- items_by_job_status for the jobs still open; queries on RUNNING or OAUTH_PENDING items use their
-- partial indexes (V3, V5).
DROP INDEX items_by_status;
-- Expired leases are found per open job through items_by_job_status (job_id, status) since V8;
-- renewing a lease no longer moves index entries.
DROP INDEX items_running_by_lease;
-- Without the status, a status change leaves this index alone; the few items of one account in one
-- job are checked in the table.
DROP INDEX items_by_job_account;
CREATE INDEX items_by_job_account ON items (job_id, account);
